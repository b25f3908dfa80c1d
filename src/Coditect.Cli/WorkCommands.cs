using System.CommandLine;
using Coditect.Client;
using Coditect.Contracts.DevContext;

namespace Coditect.Cli;

/// <summary>
/// Dev Context's work tracking: <c>projects</c>, <c>tasks</c>, <c>plans</c> and <c>repo</c>. A PROJECT argument is the
/// project's id, key, slug or name; a TASK its reference (<c>KEY-42</c>) or id; a LIST a task list's id or title.
/// </summary>
internal static partial class CliApp
{
    private static Command ProjectsCommand(Terminal terminal)
    {
        var status = new Option<string?>("--status") { Description = "Only active or archived projects." };
        status.AcceptOnlyFromAmong(ProjectStatuses.Active, ProjectStatuses.Archived);
        var search = new Option<string?>("--search") { Description = "Only projects whose name, slug or key contains this." };
        var list = new Command("list", "List the organization's projects.") { status, search };
        list.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var projects = await Collect(admin.ListProjectsAsync(org, parse.GetValue(status), parse.GetValue(search), ct: ct), ct);
            Write(parse, terminal, projects, () => Output.WriteTable(terminal.Out, ["KEY", "NAME", "SLUG", "STATUS", "ID"],
                projects.Select(p => new[] { p.Key, p.Name, p.Slug, p.Status, p.Id.ToString() })));
            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "The project's name." };
        var key = new Option<string?>("--key") { Description = "2-10 upper-case letters and digits that prefix task references (KEY-42); derived from the name if absent." };
        var description = new Option<string?>("--description") { Description = "What the project is about." };
        var create = new Command("create", "Create a project.") { name, key, description };
        create.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await admin.CreateProjectAsync(org, new CreateProjectRequest(parse.GetValue(name), Key: parse.GetValue(key), Description: parse.GetValue(description)), ct);
            await WriteDone(parse, terminal, project, $"Created project {project.Name} (key {project.Key}, id {project.Id}).");
            return ExitCodes.Ok;
        }));

        var showProject = ProjectArgument();
        var show = new Command("show", "Show a project with its statistics.") { showProject };
        show.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(showProject)!, ct);
            var stats = await admin.GetProjectStatsAsync(org, project.Id, ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, new { project, stats });
                return ExitCodes.Ok;
            }

            Output.WriteFields(terminal.Out,
            [
                ("id", project.Id.ToString()), ("name", project.Name), ("key", project.Key), ("status", project.Status),
                ("tasks", $"{stats.Tasks.Total} ({stats.Tasks.Todo} to do, {stats.Tasks.InProgress} in progress, {stats.Tasks.Blocked} blocked, {stats.Tasks.Done} done)"),
                ("done", $"{stats.PercentDone:0.#} %"), ("waiting on dependencies", stats.WaitingOnDependencies.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("overdue", stats.Overdue.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("commits", stats.Commits.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("contributors", stats.Contributors.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("last activity", Output.Time(stats.LastActivityAt)),
            ]);
            return ExitCodes.Ok;
        }));

        var importProject = ProjectArgument();
        var importFile = new Argument<string>("file") { Description = "The markdown checklist ('-' for standard input)." };
        var import = new Command("import", "Import a markdown checklist: headings become task lists, '- [ ]' items tasks, indented items sub-tasks.") { importProject, importFile };
        import.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(importProject)!, ct);
            var file = parse.GetValue(importFile)!;
            var markdown = file == "-" ? await terminal.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(file, ct);
            var result = await admin.ImportChecklistAsync(org, project.Id, markdown, ct);
            await WriteDone(parse, terminal, result, $"Imported {result.TaskLists} task lists and {result.Tasks} tasks ({result.Done} done, {result.SubTasks} sub-tasks) into {project.Key}.");
            return ExitCodes.Ok;
        }));

        var exportProject = ProjectArgument();
        var exportTo = new Option<string?>("--output", "-o") { Description = "Write the checklist to this file instead of standard output." };
        var export = new Command("export", "Export a project's task lists as a markdown checklist (import reads it back).") { exportProject, exportTo };
        export.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(exportProject)!, ct);
            var markdown = await admin.ExportChecklistAsync(org, project.Id, ct);
            if (parse.GetValue(exportTo) is { } path)
            {
                await File.WriteAllTextAsync(path, markdown, ct);
                await WriteDone(parse, terminal, new { project_id = project.Id, output = path }, $"Wrote {path}.");
            }
            else if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, new ExportResponse(project.Id, markdown));
            }
            else
            {
                await terminal.Out.WriteAsync(markdown);
            }

            return ExitCodes.Ok;
        }));

        var listsProject = ProjectArgument();
        var lists = new Command("lists", "List a project's task lists in board order.") { listsProject };
        lists.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(listsProject)!, ct);
            var all = await Collect(admin.ListTaskListsAsync(org, project.Id, ct), ct);
            Write(parse, terminal, all, () => Output.WriteTable(terminal.Out, ["POSITION", "TITLE", "TASKS", "DONE", "ID"],
                all.Select(l => new[] { l.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), l.Title,
                    l.TaskCount.ToString(System.Globalization.CultureInfo.InvariantCulture), l.DoneCount.ToString(System.Globalization.CultureInfo.InvariantCulture), l.Id.ToString() })));
            return ExitCodes.Ok;
        }));

        var addListProject = ProjectArgument();
        var addListTitle = new Argument<string>("title") { Description = "The new list's title." };
        var addList = new Command("add-list", "Add a task list at the end of a project's board.") { addListProject, addListTitle };
        addList.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(addListProject)!, ct);
            var created = await admin.CreateTaskListAsync(org, project.Id, parse.GetValue(addListTitle)!, ct: ct);
            await WriteDone(parse, terminal, created, $"Added task list {created.Title} (id {created.Id}).");
            return ExitCodes.Ok;
        }));

        var deleteProject = ProjectArgument();
        var delete = new Command("delete", "Delete a project with its plan, task lists and tasks (owners and admins).") { deleteProject };
        delete.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(deleteProject)!, ct);
            await admin.DeleteProjectAsync(org, project.Id, ct);
            await WriteDone(parse, terminal, new { id = project.Id, deleted = true }, $"Deleted project {project.Key}.");
            return ExitCodes.Ok;
        }));

        return new Command("projects", "Dev Context projects, their task lists, checklists and statistics.") { OrgOption, list, create, show, lists, addList, import, export, delete };
    }

    private static Command TasksCommand(Terminal terminal)
    {
        var project = new Option<string?>("--project") { Description = "Only tasks of this project (id, key, slug or name)." };
        var status = StatusOption("Only tasks with this status.");
        var assignee = new Option<string?>("--assignee") { Description = "Only tasks assigned to this user id, 'me', or 'none'." };
        var label = new Option<string?>("--label") { Description = "Only tasks with this label." };
        var search = new Option<string?>("--search") { Description = "Only tasks whose title contains this, or whose reference it is." };
        var limit = new Option<int>("--limit") { Description = "Show at most this many tasks.", DefaultValueFactory = _ => 200 };
        var list = new Command("list", "List tasks, by reference number.") { project, status, assignee, label, search, limit };
        list.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var filter = new TaskFilter { Status = parse.GetValue(status), Label = parse.GetValue(label), Search = parse.GetValue(search) };
            if (parse.GetValue(project) is { } p)
            {
                filter.ProjectId = (await FindProjectAsync(admin, org, p, ct)).Id;
            }

            switch (parse.GetValue(assignee))
            {
                case null:
                    break;
                case "none":
                    filter.Unassigned = true;
                    break;
                case var who:
                    filter.AssigneeId = await UserIdAsync(admin, who, ct);
                    break;
            }

            var tasks = await Collect(admin.ListTasksAsync(org, filter, ct: ct), ct, Math.Max(1, parse.GetValue(limit)));
            Write(parse, terminal, tasks, () => Output.WriteTable(terminal.Out, ["REF", "STATUS", "PRIORITY", "DUE", "TITLE"],
                tasks.Select(t => new[] { t.Reference, t.Status, t.Priority, t.DueDate, t.Title })));
            return ExitCodes.Ok;
        }));

        var createProject = new Option<string?>("--project") { Description = "The project (id, key, slug or name).", Required = true };
        var createList = new Option<string?>("--list") { Description = "The task list (id or title); the project's first list if absent." };
        var title = new Argument<string>("title") { Description = "The task's title." };
        var description = new Option<string?>("--description") { Description = "The task's description (markdown)." };
        var priority = new Option<string?>("--priority") { Description = "low, medium, high or urgent." };
        priority.AcceptOnlyFromAmong(TaskPriorities.Low, TaskPriorities.Medium, TaskPriorities.High, TaskPriorities.Urgent);
        var due = new Option<string?>("--due") { Description = "The due date (2027-01-31)." };
        var labels = new Option<string[]>("--label") { Description = "A label; repeat for several." };
        var create = new Command("create", "Create a task; it gets the project's next reference.") { title, createProject, createList, description, priority, due, labels };
        create.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var p = await FindProjectAsync(admin, org, parse.GetValue(createProject)!, ct);
            var listId = await FindListAsync(admin, org, p, parse.GetValue(createList), ct);
            var task = await admin.CreateTaskAsync(org, new CreateTaskRequest(listId, parse.GetValue(title), parse.GetValue(description),
                Priority: parse.GetValue(priority), DueDate: parse.GetValue(due), Labels: parse.GetValue(labels) is { Length: > 0 } l ? l : null), ct);
            await WriteDone(parse, terminal, task, $"Created {task.Reference} {task.Title}.");
            return ExitCodes.Ok;
        }));

        var showTask = TaskArgument();
        var show = new Command("show", "Show a task with its dependencies.") { showTask };
        show.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var task = await admin.GetTaskAsync(org, parse.GetValue(showTask)!, ct);
            var dependencies = await admin.GetTaskDependenciesAsync(org, task.Reference, ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, new { task, dependencies });
                return ExitCodes.Ok;
            }

            Output.WriteFields(terminal.Out,
            [
                ("reference", task.Reference), ("title", task.Title), ("status", task.Status), ("priority", task.Priority),
                ("assignee", task.AssigneeId?.ToString() ?? "nobody"), ("due", task.DueDate), ("labels", string.Join(", ", task.Labels)),
                ("depends on", dependencies.DependsOn.Count == 0 ? "-" : string.Join(", ", dependencies.DependsOn.Select(d => $"{d.Reference} ({d.Status})"))),
                ("needed by", dependencies.Dependents.Count == 0 ? "-" : string.Join(", ", dependencies.Dependents.Select(d => d.Reference))),
                ("id", task.Id.ToString()),
            ]);
            if (!string.IsNullOrEmpty(task.Description))
            {
                await terminal.Out.WriteLineAsync();
                await terminal.Out.WriteLineAsync(task.Description);
            }

            return ExitCodes.Ok;
        }));

        var force = new Option<bool>("--force") { Description = "Mark done although a dependency is still open." };
        var toggleTask = TaskArgument();
        var toggle = new Command("toggle", "Tick or untick a task's checkbox (open to done, done to todo).") { toggleTask, force };
        toggle.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var task = await admin.ToggleTaskAsync(org, parse.GetValue(toggleTask)!, parse.GetValue(force), ct);
            await WriteDone(parse, terminal, task, $"{task.Reference} is {task.Status}.");
            return ExitCodes.Ok;
        }));

        var statusTasks = new Argument<string[]>("tasks") { Description = "The tasks (references or ids).", Arity = ArgumentArity.OneOrMore };
        var statusTo = StatusOption("The new status.");
        statusTo.Required = true;
        var setStatus = new Command("status", "Set the status of one or more tasks at once, all or none.") { statusTasks, statusTo, force };
        setStatus.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var ids = new List<Guid>();
            foreach (var reference in parse.GetValue(statusTasks)!)
            {
                ids.Add(Guid.TryParse(reference, out var id) ? id : (await admin.GetTaskAsync(org, reference, ct)).Id);
            }

            var result = await admin.BulkTaskStatusAsync(org, ids, parse.GetValue(statusTo)!, parse.GetValue(force), ct);
            await WriteDone(parse, terminal, result, $"{result.Updated} tasks are {parse.GetValue(statusTo)}: {string.Join(", ", result.Tasks.Select(t => t.Reference))}.");
            return ExitCodes.Ok;
        }));

        var assignTask = TaskArgument();
        var assignTo = new Argument<string>("user") { Description = "The member's user id, 'me', or 'none' to unassign." };
        var assign = new Command("assign", "Assign a task to a member of the organization, or unassign it.") { assignTask, assignTo };
        assign.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var who = parse.GetValue(assignTo)!;
            var task = await admin.AssignTaskAsync(org, parse.GetValue(assignTask)!, who == "none" ? null : await UserIdAsync(admin, who, ct), ct);
            await WriteDone(parse, terminal, task, task.AssigneeId is null ? $"{task.Reference} is unassigned." : $"{task.Reference} is assigned to {task.AssigneeId}.");
            return ExitCodes.Ok;
        }));

        var moveTask = TaskArgument();
        var moveList = new Option<string?>("--list") { Description = "The task list to move to (id or title); its own if absent." };
        var movePosition = new Option<int?>("--position") { Description = "The position in the list (0 first); the end if absent." };
        var move = new Command("move", "Move a task to another list of its project or another position.") { moveTask, moveList, movePosition };
        move.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var current = await admin.GetTaskAsync(org, parse.GetValue(moveTask)!, ct);
            Guid? listId = parse.GetValue(moveList) is { } l ? await FindListAsync(admin, org, await admin.GetProjectAsync(org, current.ProjectId, ct), l, ct) : null;
            var task = await admin.MoveTaskAsync(org, current.Reference, listId, parse.GetValue(movePosition), ct);
            await WriteDone(parse, terminal, task, $"{task.Reference} is at position {task.Position}.");
            return ExitCodes.Ok;
        }));

        var dependTask = TaskArgument();
        var dependOn = new Option<string?>("--on") { Description = "The task it waits for (reference or id).", Required = true };
        var remove = new Option<bool>("--remove") { Description = "Remove the dependency instead of adding it." };
        var depend = new Command("depend", "Make a task wait for another (a cycle is refused), or --remove that.") { dependTask, dependOn, remove };
        depend.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var task = parse.GetValue(dependTask)!;
            var result = parse.GetValue(remove)
                ? await admin.RemoveTaskDependencyAsync(org, task, parse.GetValue(dependOn)!, ct)
                : await admin.AddTaskDependencyAsync(org, task, parse.GetValue(dependOn)!, ct);
            await WriteDone(parse, terminal, result,
                $"{task} depends on {(result.DependsOn.Count == 0 ? "nothing" : string.Join(", ", result.DependsOn.Select(d => d.Reference)))}.");
            return ExitCodes.Ok;
        }));

        var deleteTask = TaskArgument();
        var delete = new Command("delete", "Delete a task with its sub-tasks.") { deleteTask };
        delete.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var task = parse.GetValue(deleteTask)!;
            await admin.DeleteTaskAsync(org, task, ct);
            await WriteDone(parse, terminal, new { task, deleted = true }, $"Deleted {task}.");
            return ExitCodes.Ok;
        }));

        return new Command("tasks", "Dev Context tasks: create, list, tick, move, assign, depend.") { OrgOption, list, create, show, toggle, setStatus, assign, move, depend, delete };
    }

    private static Command PlansCommand(Terminal terminal)
    {
        var showProject = ProjectArgument();
        var version = new Option<int?>("--version") { Description = "Show this version instead of the current one." };
        var show = new Command("show", "Print a project's plan (markdown).") { showProject, version };
        show.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(showProject)!, ct);
            var plan = await admin.GetPlanAsync(org, project.Id, parse.GetValue(version), ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, plan);
            }
            else
            {
                await terminal.Out.WriteAsync(plan.Content);
            }

            return ExitCodes.Ok;
        }));

        var putProject = ProjectArgument();
        var file = new Argument<string>("file") { Description = "The plan's markdown ('-' for standard input)." };
        var summary = new Option<string?>("--summary", "-m") { Description = "What changed." };
        var put = new Command("put", "Save a new version of a project's plan (at most 1 MiB); the same content again adds none.") { putProject, file, summary };
        put.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(putProject)!, ct);
            var path = parse.GetValue(file)!;
            var content = path == "-" ? await terminal.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path, ct);
            var plan = await admin.PutPlanAsync(org, project.Id, content, parse.GetValue(summary), ct);
            await WriteDone(parse, terminal, plan with { Content = "" }, $"The plan of {project.Key} is at version {plan.Version} ({plan.ContentBytes} bytes).");
            return ExitCodes.Ok;
        }));

        var versionsProject = ProjectArgument();
        var versions = new Command("versions", "List a plan's versions, newest first.") { versionsProject };
        versions.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(versionsProject)!, ct);
            var all = await Collect(admin.ListPlanVersionsAsync(org, project.Id, ct), ct);
            Write(parse, terminal, all, () => Output.WriteTable(terminal.Out, ["VERSION", "BYTES", "SAVED", "SUMMARY"],
                all.Select(v => new[] { v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), v.ContentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(v.CreatedAt), v.Summary })));
            return ExitCodes.Ok;
        }));

        var diffProject = ProjectArgument();
        var from = new Option<int?>("--from") { Description = "The older version (0: the empty plan); the one before --to if absent." };
        var to = new Option<int?>("--to") { Description = "The newer version; the current one if absent." };
        var diff = new Command("diff", "Print a unified diff between two versions of a plan.") { diffProject, from, to };
        diff.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var project = await FindProjectAsync(admin, org, parse.GetValue(diffProject)!, ct);
            var result = await admin.DiffPlanAsync(org, project.Id, parse.GetValue(from), parse.GetValue(to), ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, result);
            }
            else
            {
                await terminal.Out.WriteAsync(result.Diff);
            }

            return ExitCodes.Ok;
        }));

        return new Command("plans", "A project's versioned plan.") { OrgOption, show, put, versions, diff };
    }

    private static Command RepoCommand(Terminal terminal)
    {
        var list = new Command("list", "List the organization's repositories.");
        list.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var all = await Collect(admin.ListRepositoriesAsync(org, ct: ct), ct);
            Write(parse, terminal, all, () => Output.WriteTable(terminal.Out, ["NAME", "PROVIDER", "COMMITS", "LAST COMMIT", "ID"],
                all.Select(r => new[] { r.Name, r.Provider, r.CommitCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(r.LastCommitAt), r.Id.ToString() })));
            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "The repository's name." };
        var provider = new Option<string?>("--provider") { Description = "github, gitlab, bitbucket or other." };
        provider.AcceptOnlyFromAmong(RepositoryProviders.GitHub, RepositoryProviders.GitLab, RepositoryProviders.Bitbucket, RepositoryProviders.Other);
        var url = new Option<string?>("--url") { Description = "Its clone URL." };
        var branch = new Option<string?>("--default-branch") { Description = "Its default branch (main if absent)." };
        var project = new Option<string?>("--project") { Description = "The project its commits count for (id, key, slug or name)." };
        var create = new Command("create", "Register a git repository.") { name, provider, url, branch, project };
        create.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            Guid? projectId = parse.GetValue(project) is { } p ? (await FindProjectAsync(admin, org, p, ct)).Id : null;
            var repository = await admin.CreateRepositoryAsync(org, new CreateRepositoryRequest(parse.GetValue(name), parse.GetValue(provider),
                parse.GetValue(url), parse.GetValue(branch), projectId), ct);
            await WriteDone(parse, terminal, repository, $"Registered repository {repository.Name} (id {repository.Id}).");
            return ExitCodes.Ok;
        }));

        var path = new Argument<string>("path") { Description = "The local git repository (its working tree or .git folder).", DefaultValueFactory = _ => "." };
        var repository = new Option<string?>("--repository") { Description = "The repository's name on the server.", Required = true };
        var createMissing = new Option<bool>("--create") { Description = "Register the repository first if the server does not know it." };
        var batch = new Option<int>("--batch-size") { Description = "Commits per request (1 to 1,000).", DefaultValueFactory = _ => AdminClient.MaxCommitBatch };
        var sync = new Command("sync", """
            Send a local repository's commits (every local branch) to the server. Only what the server does not have is read:
            git log excludes every branch head the server already knows. Commits go oldest first in batches, so an interrupted
            sync resumes where it stopped; sending the same commits again changes nothing.
            """) { path, repository, createMissing, batch };
        sync.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var size = parse.GetValue(batch);
            if (size is < 1 or > AdminClient.MaxCommitBatch)
            {
                throw new UsageException($"--batch-size must be 1 to {AdminClient.MaxCommitBatch}.");
            }

            var folder = parse.GetValue(path)!;
            var repoName = parse.GetValue(repository)!;
            var found = await FirstAsync(admin.ListRepositoriesAsync(org, name: repoName, ct: ct), ct);
            if (found is null)
            {
                if (!parse.GetValue(createMissing))
                {
                    throw new ResourceNotFoundException("REPOSITORY_NOT_FOUND", $"The server has no repository named {repoName}: register it with 'coditect repo create {repoName}' or pass --create.", 404);
                }

                found = await admin.CreateRepositoryAsync(org, new CreateRepositoryRequest(repoName), ct);
            }

            var state = await admin.GetSyncStateAsync(org, found.Id, ct);
            var known = new List<string>();
            foreach (var head in state.Branches.Select(b => b.Sha).Distinct(StringComparer.Ordinal))
            {
                if (await GitLog.HasCommitAsync(folder, head, ct))
                {
                    known.Add(head);
                }
            }

            // Read every branch; a commit on several branches is sent once, with all of them.
            var commits = new Dictionary<string, CommitInput>(StringComparer.Ordinal);
            var order = new List<string>();
            var branches = await GitLog.BranchesAsync(folder, ct);
            foreach (var name in branches)
            {
                foreach (var commit in await GitLog.CommitsAsync(folder, name, known, ct))
                {
                    if (commits.TryGetValue(commit.Sha!, out var seen))
                    {
                        commits[commit.Sha!] = seen with { Branches = [.. seen.Branches!, name] };
                    }
                    else
                    {
                        commits[commit.Sha!] = commit;
                        order.Add(commit.Sha!);
                    }
                }
            }

            int inserted = 0, already = 0, links = 0, batches = 0;
            foreach (var chunk in order.Chunk(size))
            {
                var result = await admin.SyncCommitsAsync(org, found.Id, [.. chunk.Select(sha => commits[sha])], ct);
                (inserted, already, links, batches) = (inserted + result.Inserted, already + result.AlreadyKnown, links + result.LinkedTasks, batches + 1);
            }

            await WriteDone(parse, terminal,
                new { repository_id = found.Id, repository = found.Name, branches = branches.Count, read = order.Count, batches, inserted, already_known = already, linked_tasks = links },
                order.Count == 0
                    ? $"{found.Name} is up to date ({branches.Count} branches)."
                    : $"Synced {found.Name}: {order.Count} commits read on {branches.Count} branches, {inserted} new, {already} already known, {links} task links, in {batches} requests.");
            return ExitCodes.Ok;
        }));

        return new Command("repo", "Git repositories and commit sync.") { OrgOption, list, create, sync };
    }

    private static Argument<string> ProjectArgument() => new("project") { Description = "The project: its id, key, slug or name." };

    private static Argument<string> TaskArgument() => new("task") { Description = "The task: its reference (KEY-42) or id." };

    private static Option<string?> StatusOption(string description)
    {
        var option = new Option<string?>("--status") { Description = description + " (todo, in_progress, blocked, done)" };
        option.AcceptOnlyFromAmong(TaskStatuses.Todo, TaskStatuses.InProgress, TaskStatuses.Blocked, TaskStatuses.Done);
        return option;
    }

    /// <summary>Runs a Dev Context command with a signed-in client and the organization; the usual errors and exit codes (<see cref="Run"/>).</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Work(Terminal terminal, Func<AdminClient, string, ParseResult, CancellationToken, Task<int>> body) =>
        Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            try
            {
                return await body(admin, RequireOrg(org), parse, ct);
            }
            catch (GitException e)
            {
                await terminal.Error.WriteLineAsync($"coditect: {e.Message}");
                return ExitCodes.Other;
            }
        });

    /// <summary>A project by id, or by key, slug or name (exact, case-insensitive): 404 when none or several match.</summary>
    private static async Task<ProjectResponse> FindProjectAsync(AdminClient admin, string org, string text, CancellationToken ct)
    {
        if (Guid.TryParse(text, out var id))
        {
            return await admin.GetProjectAsync(org, id, ct);
        }

        var matches = new List<ProjectResponse>();
        await foreach (var p in admin.ListProjectsAsync(org, search: text, ct: ct))
        {
            if (string.Equals(p.Key, text, StringComparison.OrdinalIgnoreCase) || p.KeyAliases.Contains(text.ToUpperInvariant())
                || string.Equals(p.Slug, text, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Name, text, StringComparison.OrdinalIgnoreCase))
            {
                matches.Add(p);
            }
        }

        return matches.Count == 1 ? matches[0]
            : matches.Count == 0 ? throw new ResourceNotFoundException("PROJECT_NOT_FOUND", $"No project has the id, key, slug or name '{text}'.", 404)
            : throw new UsageException($"'{text}' names {matches.Count} projects: use its key or id.");
    }

    /// <summary>A task list of <paramref name="project"/> by id or title; the first list when <paramref name="text"/> is null.</summary>
    private static async Task<Guid> FindListAsync(AdminClient admin, string org, ProjectResponse project, string? text, CancellationToken ct)
    {
        if (Guid.TryParse(text, out var id))
        {
            return id;
        }

        await foreach (var list in admin.ListTaskListsAsync(org, project.Id, ct))
        {
            if (text is null || string.Equals(list.Title, text, StringComparison.OrdinalIgnoreCase))
            {
                return list.Id;
            }
        }

        throw new ResourceNotFoundException("TASK_LIST_NOT_FOUND",
            text is null ? $"{project.Key} has no task list yet: add one with 'coditect projects add-list {project.Key} TITLE'." : $"{project.Key} has no task list '{text}'.", 404);
    }

    private static async Task<Guid> UserIdAsync(AdminClient admin, string text, CancellationToken ct) =>
        text == "me" ? (await admin.GetMeAsync(ct)).Id
        : Guid.TryParse(text, out var id) ? id
        : throw new UsageException($"'{text}' is not a user id: pass the member's id, 'me' or 'none'.");

    private static async Task<List<T>> Collect<T>(IAsyncEnumerable<T> items, CancellationToken ct, int limit = int.MaxValue)
    {
        var all = new List<T>();
        await foreach (var item in items.WithCancellation(ct))
        {
            all.Add(item);
            if (all.Count >= limit)
            {
                break;
            }
        }

        return all;
    }

    private static async Task<T?> FirstAsync<T>(IAsyncEnumerable<T> items, CancellationToken ct) where T : class
    {
        await foreach (var item in items.WithCancellation(ct))
        {
            return item;
        }

        return null;
    }

    private static void Write<T>(ParseResult parse, Terminal terminal, List<T> items, Action table)
    {
        if (parse.GetValue(JsonOption))
        {
            Output.WriteJson(terminal.Out, new { items });
        }
        else
        {
            table();
        }
    }
}
