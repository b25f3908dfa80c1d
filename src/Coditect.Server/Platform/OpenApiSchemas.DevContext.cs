using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Plans;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.DevContext.Tasks;

namespace Coditect.Server.Platform;

// Dev Context's request rules for the OpenAPI document, beside the others (see OpenApiSchemas); keep them in step
// with DevContext/WorkInput and the use cases.
internal static partial class OpenApiSchemas
{
    private const string ShaPattern = "^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$";

    private static readonly string[] Statuses = [TaskStatuses.Todo, TaskStatuses.InProgress, TaskStatuses.Blocked, TaskStatuses.Done];
    private static readonly string[] Priorities = [TaskPriorities.Low, TaskPriorities.Medium, TaskPriorities.High, TaskPriorities.Urgent];
    private static readonly string[] ProjectStatusValues = [ProjectStatuses.Active, ProjectStatuses.Archived];
    private static readonly string[] ProviderValues = [RepositoryProviders.GitHub, RepositoryProviders.GitLab, RepositoryProviders.Bitbucket, RepositoryProviders.Other];

    private static Member LongText(Member member, int max) => member with { MaxLength = max, Description = "Long text: TAB, LF and CR are kept; NUL is refused." };

    private static Member Key(Member member) => member with
    {
        Pattern = ProjectKeys.Pattern,
        MaxLength = 10,
        Description = "2 to 10 upper-case letters and digits, starting with a letter; unique among every key the organization's projects ever had.",
    };

    private static Member Position(Member member) => member with { Minimum = 0, Maximum = 1_000_000, Description = "0 is first; past the end means the end." };

    private static Member Labels(Member member) => member with { MaxItems = 20, Description = "At most 20 labels of 1 to 50 characters, no quotes or backslashes; duplicates are dropped." };

    private static readonly Dictionary<Type, Dictionary<string, Member>> DevContextRequests = new()
    {
        [typeof(CreateTeamRequest)] = new()
        {
            ["name"] = Text(Required, 200),
            ["slug"] = Slug(OptionalOrNull) with { Description = "Made from the name when left out." },
            ["description"] = LongText(OptionalOrNull, 100_000),
        },
        [typeof(UpdateTeamRequest)] = new()
        {
            ["name"] = Text(OptionalOrNull, 200),
            ["slug"] = Slug(OptionalOrNull),
            ["description"] = LongText(OptionalOrNull, 100_000),
        },
        [typeof(PutTeamMemberRequest)] = new() { ["role"] = OptionalOrNull with { Values = [TeamRoles.Lead, TeamRoles.Member] } },
        [typeof(CreateProjectRequest)] = new()
        {
            ["name"] = Text(Required, 200),
            ["slug"] = Slug(OptionalOrNull) with { Description = "Made from the name when left out." },
            ["key"] = Key(OptionalOrNull) with { Description = "Made from the name when left out (`Coditect Platform`: `CP`)." },
            ["description"] = LongText(OptionalOrNull, 100_000),
            ["team_id"] = OptionalOrNull,
        },
        [typeof(UpdateProjectRequest)] = new()
        {
            ["name"] = Text(Optional, 200),
            ["slug"] = Slug(Optional),
            ["key"] = Key(Optional) with { Description = "The old key stays an alias: references with it still resolve." },
            ["description"] = LongText(OptionalOrNull, 100_000) with { Description = "Null clears it." },
            ["status"] = Optional with { Values = ProjectStatusValues },
            ["team_id"] = OptionalOrNull with { Description = "Null takes the project from its team." },
        },
        [typeof(CreateTaskListRequest)] = new() { ["title"] = Text(Required, 200), ["position"] = Position(OptionalOrNull) },
        [typeof(UpdateTaskListRequest)] = new() { ["title"] = Text(OptionalOrNull, 200), ["position"] = Position(OptionalOrNull) },
        [typeof(CreateTaskRequest)] = new()
        {
            ["task_list_id"] = Required,
            ["title"] = Text(Required, TaskBoard.MaxTitle),
            ["description"] = LongText(OptionalOrNull, 100_000),
            ["status"] = OptionalOrNull with { Values = Statuses },
            ["assignee_id"] = OptionalOrNull with { Description = "A member of the organization." },
            ["priority"] = OptionalOrNull with { Values = Priorities },
            ["due_date"] = OptionalOrNull with { Format = "date" },
            ["estimate_hours"] = OptionalOrNull with { Minimum = 0, Maximum = 100_000 },
            ["labels"] = Labels(OptionalOrNull),
            ["position"] = Position(OptionalOrNull),
            ["parent_id"] = OptionalOrNull with { Description = "A task of the same project: this one becomes its sub-task." },
            ["force"] = Optional,
        },
        [typeof(UpdateTaskRequest)] = new()
        {
            ["title"] = Text(Optional, TaskBoard.MaxTitle),
            ["description"] = LongText(OptionalOrNull, 100_000),
            ["status"] = Optional with { Values = Statuses, Description = "`done` with an open dependency needs `force`." },
            ["assignee_id"] = OptionalOrNull,
            ["priority"] = Optional with { Values = Priorities },
            ["due_date"] = OptionalOrNull with { Format = "date" },
            ["estimate_hours"] = OptionalOrNull with { Minimum = 0, Maximum = 100_000 },
            ["labels"] = Labels(OptionalOrNull),
            ["parent_id"] = OptionalOrNull,
            ["force"] = OptionalOrNull,
        },
        [typeof(ToggleTaskRequest)] = new() { ["force"] = Optional },
        [typeof(AssignTaskRequest)] = new() { ["assignee_id"] = Required with { Description = "A member of the organization." } },
        [typeof(MoveTaskRequest)] = new()
        {
            ["task_list_id"] = OptionalOrNull with { Description = "A list of the task's own project; its current list when left out." },
            ["position"] = Position(OptionalOrNull),
        },
        [typeof(BulkTaskStatusRequest)] = new()
        {
            ["task_ids"] = Required with { MaxItems = TaskBoard.MaxBulk },
            ["status"] = Required with { Values = Statuses },
            ["force"] = Optional,
        },
        [typeof(AddDependencyRequest)] = new()
        {
            ["depends_on_id"] = OptionalOrNull with { Description = "The task depended on; or send `reference`." },
            ["reference"] = Text(OptionalOrNull, 64) with { Description = "The task depended on as `KEY-42`; or send `depends_on_id`." },
        },
        [typeof(ImportMarkdownRequest)] = new()
        {
            ["markdown"] = Required with { MinLength = 1, Description = "Headings become task lists, `- [ ]` and `- [x]` items tasks, indented items sub-tasks." },
        },
        [typeof(PutPlanRequest)] = new()
        {
            ["content"] = LongText(Required, PlanHistory.MaxBytes) with { Description = "Markdown, at most 1,048,576 UTF-8 bytes (more: 413 with `limit`)." },
            ["summary"] = Text(OptionalOrNull, 500),
        },
        [typeof(CreateRepositoryRequest)] = new()
        {
            ["name"] = Text(Required, 200),
            ["provider"] = OptionalOrNull with { Values = ProviderValues },
            ["clone_url"] = OptionalOrNull with { MaxLength = 2000 },
            ["default_branch"] = Text(OptionalOrNull, 255),
            ["project_id"] = OptionalOrNull,
        },
        [typeof(UpdateRepositoryRequest)] = new()
        {
            ["name"] = Text(OptionalOrNull, 200),
            ["provider"] = OptionalOrNull with { Values = ProviderValues },
            ["clone_url"] = OptionalOrNull with { MaxLength = 2000 },
            ["default_branch"] = Text(OptionalOrNull, 255),
            ["project_id"] = OptionalOrNull,
        },
        [typeof(CommitBatchRequest)] = new() { ["commits"] = Required with { MaxItems = CommitSync.MaxBatch } },
        [typeof(CommitInput)] = new()
        {
            ["sha"] = Required with { Pattern = ShaPattern },
            ["author_name"] = OptionalOrNull with { MaxLength = 256 },
            ["author_email"] = OptionalOrNull with { MaxLength = 320 },
            ["authored_at"] = OptionalOrNull with { Description = "The commit time when left out." },
            ["committer_name"] = OptionalOrNull with { MaxLength = 256 },
            ["committer_email"] = OptionalOrNull with { MaxLength = 320 },
            ["committed_at"] = Required,
            ["message"] = LongText(OptionalOrNull, CommitSync.MaxMessageChars),
            ["branches"] = OptionalOrNull with { MaxItems = CommitSync.MaxBranches },
            ["parents"] = OptionalOrNull with { ItemPattern = ShaPattern },
            ["files_changed"] = OptionalOrNull with { Minimum = 0 },
            ["additions"] = OptionalOrNull with { Minimum = 0 },
            ["deletions"] = OptionalOrNull with { Minimum = 0 },
        },
    };

    private static readonly Dictionary<(Type, string), string[]> DevContextAnswerValues = new()
    {
        [(typeof(TaskResponse), "status")] = Statuses,
        [(typeof(TaskResponse), "priority")] = Priorities,
        [(typeof(TaskLink), "status")] = Statuses,
        [(typeof(ProjectResponse), "status")] = ProjectStatusValues,
        [(typeof(RepositoryResponse), "provider")] = ProviderValues,
        [(typeof(TeamMemberResponse), "role")] = [TeamRoles.Lead, TeamRoles.Member],
    };
}
