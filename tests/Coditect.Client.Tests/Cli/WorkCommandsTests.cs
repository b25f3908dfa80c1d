using System.Diagnostics;
using System.Text.Json;
using Coditect.Cli;
using Coditect.Client.Tests.Infrastructure;

namespace Coditect.Client.Tests.Cli;

/// <summary><c>coditect projects|tasks|plans|repo</c>, run in process against the real server; <c>repo sync</c> on a real git repository.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class WorkCommandsTests(RealServer server) : IDisposable
{
    private readonly string _config = Directory.CreateTempSubdirectory("coditect-cli-").FullName;
    private readonly string _git = Directory.CreateTempSubdirectory("coditect-git-").FullName;
    private readonly Dictionary<string, string?> _env = [];

    public void Dispose()
    {
        Directory.Delete(_config, recursive: true);
        Directory.Delete(_git, recursive: true);
    }

    private Task<CliResult> Run(params string[] args) => CliRun.RunAsync(
        new Dictionary<string, string?>(_env) { ["CODITECT_CONFIG_DIR"] = _config, ["CODITECT_SERVER"] = server.Uri.AbsoluteUri }, CancellationToken.None, args);

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await Run(args);
        result.Exit.ShouldBe(0, $"coditect {string.Join(" ", args)}: {result.Error}");
        return result;
    }

    private void Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-C", _git, "-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com", "-c", "init.defaultBranch=main", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var git = Process.Start(start)!;
        git.WaitForExit();
        git.ExitCode.ShouldBe(0, git.StandardError.ReadToEnd());
    }

    private void Commit(string file, string message)
    {
        File.AppendAllText(Path.Combine(_git, file), message + "\n");
        Git("add", file);
        Git("commit", "-q", "-m", message);
    }

    [Fact]
    public async Task Projects_tasks_plans_and_an_idempotent_repo_sync_work_end_to_end()
    {
        var vendor = await server.NewVendorAsync();
        _env["CODITECT_PASSWORD"] = vendor.Password;
        await Ok("login", "--email", vendor.Email);

        var project = (await Ok("projects", "create", "Apollo", "--key", "APO", "--json")).Json;
        project.GetProperty("key").GetString().ShouldBe("APO");
        var checklist = Path.Combine(_config, "tasks.md");
        await File.WriteAllTextAsync(checklist, "## Sprint\n- [ ] Write the spec\n- [ ] Build the CLI\n  - [x] Parse git log\n");
        (await Ok("projects", "import", "APO", checklist)).Out.ShouldContain("3 tasks");
        (await Ok("tasks", "list", "--project", "apollo", "--json")).Json.GetProperty("items").GetArrayLength().ShouldBe(3);
        (await Ok("tasks", "create", "Ship it", "--project", "APO", "--priority", "high")).Out.ShouldContain("APO-4");

        await Ok("tasks", "depend", "APO-2", "--on", "APO-1");
        var blocked = await Run("tasks", "status", "APO-2", "--status", "done");
        blocked.Exit.ShouldBe(1);
        blocked.Error.ShouldContain("TASK_BLOCKED");
        (await Ok("tasks", "status", "APO-2", "--status", "done", "--force", "--json")).Json.GetProperty("updated").GetInt32().ShouldBe(1);
        (await Ok("tasks", "toggle", "APO-1")).Out.ShouldContain("APO-1 is done");
        (await Run("tasks", "show", "APO-99")).Exit.ShouldBe(3);
        (await Run("projects", "show", "nope")).Exit.ShouldBe(3);
        (await Ok("projects", "show", "APO")).Out.ShouldContain("75 %");
        (await Ok("projects", "export", "APO")).Out.ShouldContain("- [x] Write the spec");

        var plan = Path.Combine(_config, "plan.md");
        await File.WriteAllTextAsync(plan, "# Apollo\nShip the spec.\n");
        (await Ok("plans", "put", "APO", plan, "-m", "first")).Out.ShouldContain("version 1");
        await File.WriteAllTextAsync(plan, "# Apollo\nShip the spec and the CLI.\n");
        await Ok("plans", "put", "APO", plan, "-m", "second");
        (await Ok("plans", "versions", "APO", "--json")).Json.GetProperty("items").GetArrayLength().ShouldBe(2);
        var diff = await Ok("plans", "diff", "APO");
        diff.Out.ShouldContain("-Ship the spec.");
        diff.Out.ShouldContain("+Ship the spec and the CLI.");

        Git("init", "-q");
        Commit("a.txt", "Start APO-1");
        Commit("b.txt", "Work on the CLI (APO-2)");
        Commit("a.txt", "Tidy up");
        (await Run("repo", "sync", _git, "--repository", "apollo")).Exit.ShouldBe(3, "unknown repository without --create");
        var first = (await Ok("repo", "sync", _git, "--repository", "apollo", "--create", "--batch-size", "2", "--json")).Json;
        first.GetProperty("read").GetInt32().ShouldBe(3);
        first.GetProperty("inserted").GetInt32().ShouldBe(3);
        first.GetProperty("batches").GetInt32().ShouldBe(2);
        first.GetProperty("linked_tasks").GetInt32().ShouldBe(2);

        var again = (await Ok("repo", "sync", _git, "--repository", "apollo", "--json")).Json;
        again.GetProperty("read").GetInt32().ShouldBe(0, "the server's branch head excludes what it has");
        again.GetProperty("inserted").GetInt32().ShouldBe(0);

        Git("checkout", "-q", "-b", "feature");
        Commit("c.txt", "Feature work for APO-4");
        var feature = (await Ok("repo", "sync", _git, "--repository", "apollo", "--json")).Json;
        feature.GetProperty("read").GetInt32().ShouldBe(1, "only the new branch's own commit");
        feature.GetProperty("inserted").GetInt32().ShouldBe(1);
        feature.GetProperty("branches").GetInt32().ShouldBe(2);
        (await Ok("repo", "list")).Out.ShouldContain("apollo");
    }
}
