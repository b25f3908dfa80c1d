using System.Diagnostics;
using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Npgsql;

namespace Coditect.Server.Tests.Platform;

/// <summary>
/// scripts/backup.sh and scripts/restore.sh on the real PostgreSQL, run as the application's own role (no superuser,
/// no BYPASSRLS): a database with licences and live sessions, backed up, restored into a new database, and a server
/// started on it with the same master key.
/// </summary>
public sealed class BackupTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_restored_backup_verifies_tokens_issued_before_and_still_counts_their_seats()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var key = license.LicenseKey!;
        var first = await _anonymous.AcquireSeatAsync(key, "machine-1");
        var second = await _anonymous.AcquireSeatAsync(key, "machine-2");
        var folder = Directory.CreateTempSubdirectory("coditect-backup-").FullName;
        var keyFile = Path.Combine(folder, "master.key");
        await File.WriteAllTextAsync(keyFile, app.MasterKey);
        var target = "coditect_r" + Guid.NewGuid().ToString("N")[..12];
        var restoredConnection = await TestPostgres.CreateDatabaseAsync(target);
        try
        {
            var backup = Script("backup.sh", Environment(app.ConnectionString),
                "--output", folder, "--master-key-location", "the test fixture's Secrets:MasterKey", "--master-key-file", keyFile);
            backup.ExitCode.ShouldBe(0, backup.Output + backup.Error);
            var archive = backup.Output.Trim();
            File.ReadAllText(Path.ChangeExtension(archive, ".manifest")).ShouldContain("master_key_location=the test fixture's Secrets:MasterKey");
            File.ReadAllText(Path.ChangeExtension(archive, ".manifest")).ShouldNotContain(app.MasterKey);

            var restore = Script("restore.sh", Environment(restoredConnection), "--master-key-file", keyFile, archive);
            restore.ExitCode.ShouldBe(0, restore.Output + restore.Error);

            await using var restored = new SecondNode(app, settings: [new("ConnectionStrings:Database", restoredConnection)]);
            var client = restored.Anonymous();
            var jwks = await client.Http.GetStringAsync($"/api/v1/orgs/{vendor.OrgId}/jwks.json");
            (await LeaseTokenVerifier.VerifyAsync(first.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue("a token issued before the backup");
            (await LeaseTokenVerifier.VerifyAsync(second.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue();
            var full = await client.AcquireAsync(key, "machine-3");
            var refusal = await full.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
            refusal.GetProperty("seats_used").GetInt32().ShouldBe(2);
            var renewed = await (await client.HeartbeatAsync(key, first.SessionId)).ReadAsync<HeartbeatResponse>(HttpStatusCode.OK);
            (await LeaseTokenVerifier.VerifyAsync(renewed.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue("the restored server signs with the same key");
            var signedIn = await client.PostAsync("/api/v1/auth/login", new { email = vendor.Email, password = vendor.Password });
            signedIn.StatusCode.ShouldBe(HttpStatusCode.OK, "users came along");
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(target);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Restore_refuses_another_master_key_and_a_damaged_archive_before_touching_the_database()
    {
        await _anonymous.RegisterAsync();
        var folder = Directory.CreateTempSubdirectory("coditect-backup-").FullName;
        var keyFile = Path.Combine(folder, "master.key");
        var otherKey = Path.Combine(folder, "other.key");
        await File.WriteAllTextAsync(keyFile, app.MasterKey);
        await File.WriteAllTextAsync(otherKey, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var target = "coditect_r" + Guid.NewGuid().ToString("N")[..12];
        var restoredConnection = await TestPostgres.CreateDatabaseAsync(target);
        try
        {
            var backup = Script("backup.sh", Environment(app.ConnectionString), "--output", folder, "--master-key-location", "vault", "--master-key-file", keyFile);
            backup.ExitCode.ShouldBe(0, backup.Error);
            var archive = backup.Output.Trim();

            var wrongKey = Script("restore.sh", Environment(restoredConnection), "--master-key-file", otherKey, archive);
            await File.AppendAllTextAsync(archive, "x");
            var damaged = Script("restore.sh", Environment(restoredConnection), "--master-key-file", keyFile, archive);

            wrongKey.ExitCode.ShouldBe(1);
            wrongKey.Error.ShouldContain("not the master key the backup was made with; it is at: vault");
            damaged.ExitCode.ShouldBe(1);
            damaged.Error.ShouldContain("does not match its manifest");
            await using var connection = new NpgsqlConnection(restoredConnection);
            await connection.OpenAsync();
            await using var tables = new NpgsqlCommand("select count(*) from pg_tables where schemaname = 'public'", connection);
            ((long)(await tables.ExecuteScalarAsync())!).ShouldBe(0);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(target);
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>libpq's variables for a connection string, and the PostgreSQL binaries scripts/test.sh found.</summary>
    private static Dictionary<string, string> Environment(string connectionString)
    {
        var c = new NpgsqlConnectionStringBuilder(connectionString);
        var variables = new Dictionary<string, string>
        {
            ["PGHOST"] = c.Host!,
            ["PGPORT"] = c.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGDATABASE"] = c.Database!,
            ["PGUSER"] = c.Username!,
            ["PGPASSWORD"] = c.Password ?? "",
        };
        if (System.Environment.GetEnvironmentVariable("CODITECT_TEST_PG_BIN") is { Length: > 0 } bin)
        {
            variables["PG_BIN"] = bin;
        }

        return variables;
    }

    private static (int ExitCode, string Output, string Error) Script(string name, Dictionary<string, string> environment, params string[] arguments)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Coditect.slnx")))
        {
            root = root.Parent ?? throw new InvalidOperationException("Coditect.slnx not found above the tests.");
        }

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root.FullName };
        start.ArgumentList.Add(Path.Combine(root.FullName, "scripts", name));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit(120_000).ShouldBeTrue($"{name} finished within 2 minutes");
        return (process.ExitCode, output.Result, error.Result);
    }
}
