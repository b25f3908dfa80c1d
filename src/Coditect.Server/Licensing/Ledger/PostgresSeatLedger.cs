using Npgsql;
using NpgsqlTypes;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The seat ledger on PostgreSQL. Each call is ONE round trip: a batch of statements that PostgreSQL runs as one
/// implicit transaction, committed durably when the batch ends. Acquire locks the licence row (FOR NO KEY UPDATE) before
/// counting; in READ COMMITTED every later statement of the batch takes a fresh snapshot, so it sees every seat
/// committed by whoever held the lock before: no check-then-insert race. Heartbeat, release and validate take no
/// licence lock. Row-level security applies throughout: the batch first proves the key (app.license_key_hash,
/// policy license_by_key) and then sets the tenant it found.
/// </summary>
public sealed partial class PostgresSeatLedger(NpgsqlDataSource dataSource) : ISeatLedger
{
    private readonly LicenseGate _gate = new();

    public Task<AcquireResult> AcquireAsync(AcquireCommand c, CancellationToken ct) =>
        // A borrow always takes its turn: its refusal (borrowing off, too long) is decided with the licence locked.
        _gate.RunGroupedAsync(c.KeyHash, new LedgerCall<AcquireResult>(AcquireSql,
                [c.KeyHash, c.Now, c.Expiry, c.HardwareId, c.NewSessionId, c.UserEmail, c.Hostname, c.AppVersion, c.Os, LedgerRules.HourOf(c.Now), c.BorrowHours],
                row => ReadAcquire(c, row)),
            RunGroupAsync, c.IsBorrow ? null : () => RefuseWhenFullAsync(c, ct), ct);

    /// <summary>Groups run on this node by the licence gate, and the acquires and releases they held.</summary>
    public (long Groups, long Calls) GroupStats => _gate.GroupStats;

    /// <summary>The denial of an acquire on a licence that is still full, without a turn or the lock; null: take a turn.</summary>
    private async Task<AcquireResult?> RefuseWhenFullAsync(AcquireCommand c, CancellationToken ct)
    {
        await using var batch = await BatchAsync(RefuseWhenFullSql, ct, c.KeyHash, c.Now, c.HardwareId, LedgerRules.HourOf(c.Now));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await LastRowAsync(reader, ct) is { } row
            ? new AcquireResult(AcquireOutcome.NoSeats, ReadLicense(row), (int)row[8]!, null, null)
            : null;
    }

    /// <summary>The answer to an acquire from the last row of its batch (null: no such licence).</summary>
    private AcquireResult ReadAcquire(AcquireCommand c, object?[]? row)
    {
        if (row is null)
        {
            return new AcquireResult(AcquireOutcome.LicenseNotFound, null, 0, null, null);
        }

        var license = ReadLicense(row);
        var used = (int)row[8]!;
        if (LedgerRules.Refusal(license, c.Now) is { } refusal)
        {
            return new AcquireResult(refusal, license, used, null, null);
        }

        var borrowMaxHours = (int)row[12]!;
        if (LedgerRules.BorrowRefusal(c, borrowMaxHours) is { } borrowRefusal)
        {
            return new AcquireResult(borrowRefusal, license, used, null, null, null, borrowMaxHours);
        }

        if (used >= license.SeatsTotal)
        {
            _gate.MarkFull(c.KeyHash);
        }
        else
        {
            _gate.MarkNotFull(c.KeyHash);
        }

        if (row[9] is not Guid sessionId)
        {
            return new AcquireResult(AcquireOutcome.NoSeats, license, used, null, null);
        }

        var outcome = sessionId == c.NewSessionId ? AcquireOutcome.Acquired : AcquireOutcome.Renewed;
        return new AcquireResult(outcome, license, used, sessionId, (DateTime)row[10]!, row[11] as DateTime?);
    }

    public async Task<LeaseResult> HeartbeatAsync(string keyHash, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct)
    {
        await using var batch = await BatchAsync(HeartbeatSql, ct, keyHash, now, newExpiry, sessionId);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var row = await LastRowAsync(reader, ct);
        var renewed = batch.BatchCommands[2].RecordsAffected == 1;
        var license = row is null ? null : ReadLicense(row);
        if (renewed)
        {
            return new LeaseResult(LeaseOutcome.Ok, license, (string)row![11]!, (DateTime)row[10]!, row[12] as DateTime?);
        }

        if (LedgerRules.LeaseRefusal(license, now) is { } refusal)
        {
            return new LeaseResult(refusal, license, null, null);
        }

        return row![8] is null
            ? new LeaseResult(LeaseOutcome.SessionNotFound, license, null, null)
            : new LeaseResult(LedgerRules.SessionRefusal(ParseSessionState((string)row[9]!)), license, (string)row[11]!, (DateTime)row[10]!);
    }

    public Task<LeaseResult> ReleaseAsync(string keyHash, Guid sessionId, DateTime now, CancellationToken ct) =>
        _gate.RunGroupedAsync(keyHash, new LedgerCall<LeaseResult>(ReleaseSql, [keyHash, now, sessionId, LedgerRules.HourOf(now)],
            row => ReadRelease(keyHash, row)), RunGroupAsync, whenFull: null, ct);

    /// <summary>The answer to a release from the last row of its batch (null: no such licence).</summary>
    private LeaseResult ReadRelease(string keyHash, object?[]? row)
    {
        if (row is null)
        {
            return new LeaseResult(LeaseOutcome.LicenseNotFound, null, null, null);
        }

        if (row[8] is null)
        {
            return new LeaseResult(LeaseOutcome.SessionNotFound, ReadLicense(row), null, null);
        }

        _gate.MarkNotFull(keyHash);
        return new LeaseResult(LeaseOutcome.Ok, ReadLicense(row), null, null);
    }

    /// <summary>
    /// Runs a group of one licence's acquires and releases (<see cref="LicenseGate"/>) as ONE batch: one transaction, one
    /// lock of the licence row, one commit, each call's statements in turn. When a statement fails, PostgreSQL rolls the
    /// whole group back, so each call then runs again alone and only the one at fault fails. Any other failure (the
    /// connection, a timeout) leaves the outcome unknown, as it would for one call: every call of the group gets it.
    /// </summary>
    private async Task RunGroupAsync(IReadOnlyList<GroupedCall> group)
    {
        var calls = group.Cast<ILedgerCall>().ToList();
        try
        {
            await RunTogetherAsync(calls);
        }
        catch (PostgresException) when (calls.Count > 1)
        {
            foreach (var call in calls)
            {
                try
                {
                    await RunTogetherAsync([call]);
                }
                catch (Exception e)
                {
                    call.Fail(e);
                }
            }
        }
    }

    private async Task RunTogetherAsync(IReadOnlyList<ILedgerCall> calls)
    {
        // The group is everyone's work: the caller that happens to run it going away does not cancel it.
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(GenericPlans));
        foreach (var call in calls)
        {
            AddStatements(batch, call.Sql, call.Parameters);
        }

        // A grouped call's statements return one column (set_config, the lock) or no rows at all, except its last: the
        // answer. So the answers are the result sets with more than one column, in the calls' order.
        var answers = new List<object?[]?>(calls.Count);
        await using (var reader = await batch.ExecuteReaderAsync(CancellationToken.None))
        {
            do
            {
                if (reader.FieldCount > 1)
                {
                    answers.Add(await reader.ReadAsync(CancellationToken.None) ? await ReadRowAsync(reader, CancellationToken.None) : null);
                }
            }
            while (await reader.NextResultAsync(CancellationToken.None));
        }

        if (answers.Count != calls.Count)
        {
            throw new InvalidOperationException($"A group of {calls.Count} ledger calls returned {answers.Count} answers.");
        }

        // Only now, with the transaction committed, does any caller hear its answer.
        for (var i = 0; i < calls.Count; i++)
        {
            calls[i].Settle(answers[i]);
        }
    }

    public async Task<ValidateResult> ValidateAsync(string keyHash, string? hardwareId, DateTime now, CancellationToken ct)
    {
        await using var batch = await BatchAsync(ValidateSql, ct, keyHash, now, (object?)hardwareId ?? DBNull.Value);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var row = await LastRowAsync(reader, ct);
        if (row is null)
        {
            return new ValidateResult(null, 0, HardwareState.NotAsked);
        }

        var hardware = hardwareId is null ? HardwareState.NotAsked
            : row[9] is not string status ? HardwareState.None
            : ParseSessionState(status) switch
            {
                SessionState.Active when (DateTime)row[10]! > now => HardwareState.Live,
                SessionState.Active or SessionState.Expired => HardwareState.Lapsed,
                _ => HardwareState.None,
            };
        return new ValidateResult(ReadLicense(row), (int)row[8]!, hardware);
    }

    public async Task<SweepResult> SweepAsync(DateTime now, CancellationToken ct)
    {
        var total = 0;
        var licenses = new HashSet<Guid>();
        while (true)
        {
            await using var batch = await BatchAsync(SweepSql, ct, now, SweepBatch);
            await using var reader = await batch.ExecuteReaderAsync(ct);
            var row = await LastRowAsync(reader, ct);
            var swept = (int)row![0]!;
            total += swept;
            licenses.UnionWith((Guid[])row[1]!);
            if (swept < SweepBatch)
            {
                return new SweepResult(total, licenses);
            }
        }
    }

    /// <summary>The licence a key names, or null. Used by the Redis ledger's licence cache.</summary>
    public async Task<LicenseSnapshot?> FindLicenseAsync(string keyHash, CancellationToken ct)
    {
        await using var batch = await BatchAsync(FindLicenseSql, ct, keyHash);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var row = await LastRowAsync(reader, ct);
        return row is null ? null : ReadLicense(row);
    }

    public async Task<IReadOnlyList<(Guid SessionId, DateTime ExpiresAt, string HardwareId)>> LiveSessionsAsync(Guid licenseId, DateTime now, CancellationToken ct)
    {
        await using var batch = await BatchAsync(LiveSessionsSql, ct, licenseId, now);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        var sessions = new List<(Guid, DateTime, string)>();
        while (await reader.ReadAsync(ct))
        {
            sessions.Add((reader.GetGuid(0), reader.GetDateTime(1), reader.GetString(2)));
        }

        return sessions;
    }

    public async Task<IReadOnlyList<(Guid LicenseId, Guid SessionId)>> RecentlyEndedAsync(DateTime since, CancellationToken ct)
    {
        await using var batch = await BatchAsync(RecentlyEndedSql, ct, since);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        var sessions = new List<(Guid, Guid)>();
        while (await reader.ReadAsync(ct))
        {
            sessions.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }

        return sessions;
    }

    /// <summary>Writes many heartbeats in one statement (the Redis ledger's write-behind); returns the leases it extended.</summary>
    public async Task<IReadOnlyList<(Guid SessionId, Guid LicenseId, DateTime ExpiresAt)>> FlushHeartbeatsAsync(
        IReadOnlyList<PendingHeartbeat> heartbeats, DateTime now, CancellationToken ct)
    {
        await using var batch = await BatchAsync(FlushHeartbeatsSql, ct,
            heartbeats.Select(h => h.SessionId).ToArray(),
            heartbeats.Select(h => DateTime.SpecifyKind(h.ExpiresAt, DateTimeKind.Utc)).ToArray(),
            heartbeats.Select(h => DateTime.SpecifyKind(h.FirstAt, DateTimeKind.Utc)).ToArray(),
            heartbeats.Select(h => DateTime.SpecifyKind(h.At, DateTimeKind.Utc)).ToArray(),
            heartbeats.Select(h => h.Count).ToArray(),
            now);
        return await ReadLeasesAsync(batch, ct);
    }

    /// <summary>Leases still holding a seat whose expiry comes before <paramref name="horizon"/>, soonest first.</summary>
    public async Task<IReadOnlyList<(Guid SessionId, Guid LicenseId, DateTime ExpiresAt)>> LapsingSessionsAsync(
        DateTime horizon, int limit, CancellationToken ct)
    {
        await using var batch = await BatchAsync(LapsingSql, ct, horizon, limit);
        return await ReadLeasesAsync(batch, ct);
    }

    /// <summary>
    /// Gives leases that still hold their seat the later expiries Redis promised their clients (the heartbeats of a node
    /// that stopped before writing them); returns the leases it extended.
    /// </summary>
    public async Task<IReadOnlyList<(Guid SessionId, Guid LicenseId, DateTime ExpiresAt)>> AdoptExpiriesAsync(
        IReadOnlyList<(Guid SessionId, DateTime ExpiresAt)> promised, DateTime now, CancellationToken ct)
    {
        await using var batch = await BatchAsync(AdoptSql, ct,
            promised.Select(p => p.SessionId).ToArray(),
            promised.Select(p => DateTime.SpecifyKind(p.ExpiresAt, DateTimeKind.Utc)).ToArray(),
            now);
        return await ReadLeasesAsync(batch, ct);
    }

    private static async Task<List<(Guid SessionId, Guid LicenseId, DateTime ExpiresAt)>> ReadLeasesAsync(LedgerBatch batch, CancellationToken ct)
    {
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        var leases = new List<(Guid, Guid, DateTime)>();
        while (await reader.ReadAsync(ct))
        {
            leases.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetDateTime(2)));
        }

        return leases;
    }

    private async Task<LedgerBatch> BatchAsync(string[] statements, CancellationToken ct, params object?[] parameters)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        var batch = new NpgsqlBatch(connection);
        AddStatements(batch, statements, parameters);
        return new LedgerBatch(batch, connection);
    }

    private static void AddStatements(NpgsqlBatch batch, string[] statements, object?[] parameters)
    {
        foreach (var sql in statements)
        {
            var command = new NpgsqlBatchCommand(sql);
            var highest = HighestParameter(sql);
            for (var i = 0; i < highest; i++)
            {
                command.Parameters.Add(Parameter(parameters[i]));
            }

            batch.BatchCommands.Add(command);
        }
    }

    private static NpgsqlParameter Parameter(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
        DateTime time => new NpgsqlParameter { Value = DateTime.SpecifyKind(time, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz },
        _ => new NpgsqlParameter { Value = value },
    };

    private static int HighestParameter(string sql)
    {
        var highest = 0;
        for (var i = sql.IndexOf('$', StringComparison.Ordinal); i >= 0; i = sql.IndexOf('$', i + 1))
        {
            var end = i + 1;
            while (end < sql.Length && char.IsAsciiDigit(sql[end]))
            {
                end++;
            }

            if (end > i + 1)
            {
                highest = Math.Max(highest, int.Parse(sql.AsSpan(i + 1, end - i - 1), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return highest;
    }

    /// <summary>Reads every result set of the batch and returns the first row of the last one (null if it is empty).</summary>
    private static async Task<object?[]?> LastRowAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        object?[]? last;
        do
        {
            last = reader.FieldCount > 0 && await reader.ReadAsync(ct) ? await ReadRowAsync(reader, ct) : null;
        }
        while (await reader.NextResultAsync(ct));

        return last;
    }

    private static async Task<object?[]> ReadRowAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var row = new object?[reader.FieldCount];
        for (var i = 0; i < reader.FieldCount; i++)
        {
            row[i] = await reader.IsDBNullAsync(i, ct) ? null : reader.GetValue(i);
        }

        return row;
    }

    /// <summary>The licence from the first eight columns of a row (<c>LicenseColumns</c>); what a statement adds follows them.</summary>
    private static LicenseSnapshot ReadLicense(object?[] row) => new(
        (Guid)row[0]!,
        (Guid)row[1]!,
        (int)row[2]!,
        (string)row[3]! == "active" ? LicenseState.Active : LicenseState.Suspended,
        row[4] as DateTime?,
        LedgerRules.ParseEntitlements((string)row[5]!),
        (bool)row[6]!,
        (string)row[7]! == "node_locked" ? LicenseType.NodeLocked : LicenseType.Floating);

    private static SessionState ParseSessionState(string status) => Enum.Parse<SessionState>(status, ignoreCase: true);

    /// <summary>A batch and its pooled connection, returned to the pool together.</summary>
    private sealed class LedgerBatch(NpgsqlBatch batch, NpgsqlConnection connection) : IAsyncDisposable
    {
        public NpgsqlBatchCommandCollection BatchCommands => batch.BatchCommands;

        public Task<NpgsqlDataReader> ExecuteReaderAsync(CancellationToken ct) => batch.ExecuteReaderAsync(ct);

        public async ValueTask DisposeAsync()
        {
            await batch.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>An acquire or release as the group runner sees it: its statements, their parameters, and what to make of its answer.</summary>
    private interface ILedgerCall
    {
        string[] Sql { get; }

        object?[] Parameters { get; }

        void Settle(object?[]? row);

        void Fail(Exception exception);
    }

    private sealed class LedgerCall<T>(string[] sql, object?[] parameters, Func<object?[]?, T> read) : GroupedCall<T>, ILedgerCall
    {
        public string[] Sql => sql;

        public object?[] Parameters => parameters;

        public void Settle(object?[]? row)
        {
            try
            {
                Settle(read(row));
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }
    }
}
