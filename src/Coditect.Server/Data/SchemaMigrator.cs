using System.Data.Common;
using System.Reflection;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Data;

/// <summary>
/// Applies the versioned SQL scripts under <c>Data/Migrations/{Provider}/</c> in order, each in its own transaction,
/// and records them in <c>schema_migrations</c>. On PostgreSQL an advisory lock lets several nodes start at once; on
/// SQLite each script's transaction holds the file's write lock and checks again whether it is still to be applied.
/// Scripts are hand-written because EF's design-time tooling is not available here (docs/adr/0002-hand-written-migrations.md);
/// a test checks that they build the schema the EF model expects.
/// </summary>
public sealed class SchemaMigrator(CoditectDbContext db, ILogger<SchemaMigrator> logger)
{
    private const long AdvisoryLockKey = 0x636F64697465; // "codite"

    public static IReadOnlyList<(string Version, string Sql)> Scripts(DatabaseProvider provider)
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var prefix = provider + "/";
        return [.. assembly.GetManifestResourceNames()
            .Select(name => name.Replace('\\', '/'))
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name => (Path.GetFileNameWithoutExtension(name), Read(assembly, name)))];
    }

    private DatabaseProvider Provider => db.Database.IsNpgsql() ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;

    public async Task MigrateAsync(CancellationToken ct = default)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (Provider == DatabaseProvider.Postgres)
            {
                await ExecuteAsync(connection, $"select pg_advisory_lock({AdvisoryLockKey})", ct);
            }
            else
            {
                // WAL lets readers run beside the single writer; the setting persists in the file.
                await ExecuteAsync(connection, "pragma journal_mode=wal", ct);
            }

            await ExecuteAsync(connection,
                "create table if not exists schema_migrations (version varchar(100) primary key, applied_at varchar(40) not null)", ct);
            var applied = await AppliedAsync(connection, ct);
            foreach (var (version, sql) in Scripts(Provider).Where(s => !applied.Contains(s.Version)))
            {
                // SQLite has no advisory lock: its transaction begins IMMEDIATE (the file's write lock, waited for up to
                // the busy timeout), so another process starting on the same file may have applied this script while
                // this one waited. Checked again under the lock.
                await using var transaction = await connection.BeginTransactionAsync(ct);
                if (Provider == DatabaseProvider.Sqlite && (await AppliedAsync(connection, ct, transaction)).Contains(version))
                {
                    continue;
                }

                await ExecuteAsync(connection, sql, ct, transaction);
                await ExecuteAsync(connection,
                    $"insert into schema_migrations (version, applied_at) values ('{version}', '{DateTime.UtcNow:O}')", ct, transaction);
                await transaction.CommitAsync(ct);
                logger.LogInformation("Applied migration {Version}", version);
            }
        }
        finally
        {
            if (Provider == DatabaseProvider.Postgres)
            {
                await ExecuteAsync(connection, $"select pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
            }

            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The scripts not yet applied; empty when the schema is current.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken ct = default)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            HashSet<string> applied;
            try
            {
                applied = await AppliedAsync(connection, ct);
            }
            catch (DbException)
            {
                applied = []; // no schema_migrations table yet
            }

            return [.. Scripts(Provider).Select(s => s.Version).Where(v => !applied.Contains(v))];
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<HashSet<string>> AppliedAsync(DbConnection connection, CancellationToken ct, DbTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "select version from schema_migrations";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var versions = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            versions.Add(reader.GetString(0));
        }

        return versions;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken ct, DbTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? assembly.GetManifestResourceStream(name.Replace('/', '\\'))
            ?? throw new InvalidOperationException($"Missing migration resource {name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
