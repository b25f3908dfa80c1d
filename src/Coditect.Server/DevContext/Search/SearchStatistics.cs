using Coditect.Server.Data;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Search;

/// <summary>
/// PostgreSQL only (registered on it alone): keeps the planner's statistics of the search's tables current, every 10 s once in the cluster.
/// Without statistics PostgreSQL guesses that a project holds one work session of a few messages, starts the search
/// from them and checks every one of the project's messages against the query (0.5–1 s a search at 300,000 messages,
/// enough to exhaust the connection pool at 20 searches a second), where with them it starts from the GIN index (5 ms).
/// Autovacuum analyzes a table only after 10 % of it changed and at most once a minute, so an import followed at once by
/// searches met tables it had never analyzed (bench/messages.sh at 300,000 messages). A table is analyzed here when
/// the rows changed since its last analysis reach <see cref="MinimumChanges"/> and a tenth of the table.
/// </summary>
public sealed class SearchStatistics(IServiceScopeFactory scopes, TimeProvider time, ILogger<SearchStatistics> logger)
    : ClusterJob(scopes, time, logger)
{
    public const int MinimumChanges = 1000;

    /// <summary>The tables the search reads (fixed names: the only text put into the ANALYZE statement).</summary>
    private static readonly string[] Tables = ["messages", "message_search", "message_contents", "work_sessions", "conversations"];

    protected override string Name => "search-statistics";

    protected override TimeSpan Period => TimeSpan.FromSeconds(10);

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<CoditectDbContext>();
        var stale = await db.Database.SqlQuery<string>($"""
            SELECT relname AS "Value" FROM pg_stat_user_tables
            WHERE relname = ANY({Tables}) AND schemaname = current_schema()
              AND n_mod_since_analyze >= greatest({MinimumChanges}, n_live_tup / 10)
            """).ToListAsync(ct);
        foreach (var table in Tables.Where(stale.Contains))
        {
            var started = TimeProvider.System.GetTimestamp();
#pragma warning disable EF1002 // the table name is one of Tables, never input
            await db.Database.ExecuteSqlRawAsync($"ANALYZE {table}", ct);
#pragma warning restore EF1002
            logger.LogDebug("Analyzed {Table} for the search in {Ms:F0} ms", table, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
