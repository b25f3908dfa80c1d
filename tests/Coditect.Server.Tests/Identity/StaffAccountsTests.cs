using System.Net;
using Coditect.Server.Identity;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coditect.Server.Tests.Identity;

/// <summary>
/// Operators make staff: <c>create-staff EMAIL [--revoke]</c> flags an existing user (or clears the flag), and
/// <c>Staff:Emails</c> flags the users it lists at start. Whether someone is staff is read through the staff API:
/// a staff member's suspend of an unknown organization is 404, anyone else's 403.
/// </summary>
public abstract class StaffAccountsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Create_staff_flags_an_existing_user_and_revoke_clears_the_flag()
    {
        var person = await _anonymous.RegisterAsync();
        (await IsStaffAsync(person)).ShouldBeFalse();

        var (exit, output, error) = await app.RunCommandAsync(StaffAccounts.CommandName, person.Email.ToUpperInvariant());

        exit.ShouldBe(0, error);
        output.ShouldContain($"{person.Email} is now staff");
        (await IsStaffAsync(person)).ShouldBeTrue("at the next request, with the same access token");
        (exit, output, error) = await app.RunCommandAsync(StaffAccounts.CommandName, person.Email);
        exit.ShouldBe(0, error);
        output.ShouldContain("nothing changed");

        (exit, output, error) = await app.RunCommandAsync(StaffAccounts.CommandName, person.Email, "--revoke");

        exit.ShouldBe(0, error);
        output.ShouldContain($"{person.Email} is no longer staff");
        (await IsStaffAsync(person)).ShouldBeFalse();
    }

    [Fact]
    public async Task Create_staff_exits_1_for_an_unknown_email_and_2_for_bad_arguments()
    {
        var person = await _anonymous.RegisterAsync();
        var nobody = $"nobody-{Guid.NewGuid():N}@example.com";

        var (exit, output, error) = await app.RunCommandAsync(StaffAccounts.CommandName, nobody);
        exit.ShouldBe(1);
        error.ShouldContain($"No user has the e-mail address {nobody}");
        output.ShouldBeEmpty();

        (await app.RunCommandAsync(StaffAccounts.CommandName)).ExitCode.ShouldBe(2);
        (await app.RunCommandAsync(StaffAccounts.CommandName, person.Email, nobody)).ExitCode.ShouldBe(2);
        (exit, _, error) = await app.RunCommandAsync(StaffAccounts.CommandName, person.Email, "--revok");
        exit.ShouldBe(2);
        error.ShouldContain("usage: create-staff EMAIL [--revoke]");
        (await IsStaffAsync(person)).ShouldBeFalse("a mistyped option grants nothing");
    }

    [Fact]
    public async Task Create_staff_run_as_the_server_exits_1_for_an_unknown_email_and_flags_and_revokes_a_known_one()
    {
        var person = await _anonymous.RegisterAsync();
        var nobody = $"nobody-{Guid.NewGuid():N}@example.com";
        var environment = TestSettings.AsEnvironment(app.AllSettings.Where(s => s.Value is not null).Select(s => KeyValuePair.Create(s.Key, s.Value!)))
            .Append(KeyValuePair.Create("ASPNETCORE_ENVIRONMENT", "Testing"))
            .Append(KeyValuePair.Create("Logging__LogLevel__Default", "Warning"))
            .ToDictionary();

        var unknown = await ServerProcess.RunCommandAsync(environment, [StaffAccounts.CommandName, nobody]);
        unknown.ExitCode.ShouldBe(1, unknown.Output + unknown.Error);
        unknown.Error.ShouldContain($"No user has the e-mail address {nobody}");

        var flagged = await ServerProcess.RunCommandAsync(environment, [StaffAccounts.CommandName, person.Email]);
        flagged.ExitCode.ShouldBe(0, flagged.Output + flagged.Error);
        flagged.Output.ShouldContain($"{person.Email} is now staff");
        (await IsStaffAsync(person)).ShouldBeTrue("the running server reads the flag at the next request");

        var revoked = await ServerProcess.RunCommandAsync(environment, [StaffAccounts.CommandName, person.Email, "--revoke"]);
        revoked.ExitCode.ShouldBe(0, revoked.Output + revoked.Error);
        (await IsStaffAsync(person)).ShouldBeFalse();
    }

    [Fact]
    public async Task Staff_Emails_flags_the_listed_users_at_start_and_logs_each_address_no_user_has()
    {
        var person = await _anonymous.RegisterAsync();
        var later = $"later-{Guid.NewGuid():N}@example.com";
        var logs = new CapturedLogs();

        await using var node = new SecondNode(app, services => services.AddSingleton<ILoggerProvider>(logs),
            [new("Staff:Emails:0", person.Email.ToUpperInvariant()), new("Staff:Emails:1", later)]);
        using var started = node.CreateClient();

        (await IsStaffAsync(person)).ShouldBeTrue();
        logs.Lines.Where(l => l.StartsWith("Information", StringComparison.Ordinal) && l.Contains(later, StringComparison.Ordinal))
            .ShouldHaveSingleItem();
        logs.Lines.ShouldContain(l => l.Contains($"{person.Email} is now staff", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Staff_Emails_entry_that_is_not_an_email_address_stops_the_server_at_start()
    {
        await using var node = new SecondNode(app, settings: [new("Staff:Emails:0", "ops at example.com")]);

        Should.Throw<Exception>(() => node.CreateClient()).ToString().ShouldContain("Staff:Emails");
    }

    private static async Task<bool> IsStaffAsync(Caller caller)
    {
        var answer = await caller.SuspendAsync(Guid.NewGuid());
        answer.StatusCode.ShouldBeOneOf(HttpStatusCode.NotFound, HttpStatusCode.Forbidden);
        return answer.StatusCode == HttpStatusCode.NotFound;
    }
}

public sealed class StaffAccountsTestsOnSqlite(SqliteApp app) : StaffAccountsTests<SqliteApp>(app);

public sealed class StaffAccountsTestsOnPostgres(PostgresApp app) : StaffAccountsTests<PostgresApp>(app);
