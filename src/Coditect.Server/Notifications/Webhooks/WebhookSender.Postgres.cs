using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// The sender's PostgreSQL statements, set-based: at hundreds of deliveries a second, EF's entity-by-entity claim and
/// record (four statements per claim, tracked rows, an INSERT and an UPDATE per attempt) cost more of the node's CPU
/// than sending did.
/// </summary>
public sealed partial class WebhookSender
{
    /// <summary>
    /// One statement: the oldest due deliveries no other node holds (<c>FOR UPDATE SKIP LOCKED</c>: two nodes never
    /// claim the same one), marked with this claim's token and lease, returned whole.
    /// </summary>
    private async Task<List<WebhookDelivery>> ClaimOnPostgresAsync(CoditectDbContext db, DateTime now, int limit, CancellationToken ct)
    {
        var token = Guid.NewGuid();
        var until = now + options.Value.Lease;
        return await db.Set<WebhookDelivery>().FromSql($"""
            UPDATE webhook_deliveries AS d SET lease_until = {until}, claim_token = {token}
            FROM (SELECT id FROM webhook_deliveries
                  WHERE status = 'pending' AND next_attempt_at <= {now} AND (lease_until IS NULL OR lease_until < {now})
                  ORDER BY next_attempt_at LIMIT {limit}
                  FOR UPDATE SKIP LOCKED) AS due
            WHERE d.id = due.id
            RETURNING d.*
            """).IgnoreQueryFilters().AsNoTracking().ToListAsync(ct);
    }

    /// <summary>
    /// Records a batch of attempts in two statements. The deliveries are locked first (in id order, so two nodes'
    /// batches cannot deadlock) and read for their claim token and attempt count: a redelivery that commits meanwhile
    /// is either seen here (its cleared claim token leaves its schedule alone) or waits and applies after this batch.
    /// Each attempt is then decided in memory exactly as on SQLite, in order (a delivery redelivered and claimed again
    /// can have two attempts in one batch), and written with one INSERT of the attempts and one UPDATE of the
    /// deliveries from arrays.
    /// </summary>
    private async Task RecordOnPostgresAsync(CoditectDbContext db, IReadOnlyList<Attempt> attempts, DateTime now, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        var state = new Dictionary<Guid, Row>();
        await using (var locking = new NpgsqlCommand(
            "SELECT id, claim_token, attempt_count FROM webhook_deliveries WHERE id = ANY(@ids) ORDER BY id FOR UPDATE", connection, transaction))
        {
            locking.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. attempts.Select(a => a.Claimed.Delivery.Id).Distinct()]));
            await using var reader = await locking.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                state[reader.GetGuid(0)] = new Row { Token = reader.IsDBNull(1) ? null : reader.GetGuid(1), AttemptCount = reader.GetInt32(2) };
            }
        }

        var recorded = new List<(Attempt Attempt, Guid TenantId, Guid EndpointId)>(attempts.Count);
        foreach (var attempt in attempts)
        {
            var delivery = attempt.Claimed.Delivery;
            if (!state.TryGetValue(delivery.Id, out var row))
            {
                continue; // its endpoint was deleted meanwhile
            }

            recorded.Add((attempt, delivery.TenantId, delivery.EndpointId));
            row.AttemptCount++;
            row.LastStatusCode = attempt.StatusCode;
            if (row.Token != delivery.ClaimToken)
            {
                continue; // redelivered while this attempt was in flight: the redelivery's schedule stands
            }

            row.Token = null;
            row.Claimed = true;
            (row.Status, row.NextAttemptAt, var outcome) = Next(attempt, row.AttemptCount, now);
            metrics.WebhookAttempted(outcome, TimeSpan.FromMilliseconds(attempt.LatencyMs));
        }

        if (recorded.Count == 0)
        {
            return;
        }

        var rows = state.ToList();
        await using var write = new NpgsqlCommand("""
            WITH logged AS (
                INSERT INTO webhook_attempts (id, tenant_id, delivery_id, endpoint_id, status_code, latency_ms, response, error, created_at, updated_at)
                SELECT a.id, a.tenant_id, a.delivery_id, a.endpoint_id, a.status_code, a.latency_ms, a.response, a.error, @now, @now
                FROM unnest(@attempt_ids, @tenant_ids, @delivery_ids, @endpoint_ids, @status_codes, @latencies, @responses, @errors)
                    AS a(id, tenant_id, delivery_id, endpoint_id, status_code, latency_ms, response, error)
            )
            UPDATE webhook_deliveries AS d SET
                attempt_count = v.attempt_count,
                last_status_code = v.last_status_code,
                updated_at = @now,
                lease_until = CASE WHEN v.claimed THEN NULL ELSE d.lease_until END,
                claim_token = CASE WHEN v.claimed THEN NULL ELSE d.claim_token END,
                status = CASE WHEN v.claimed THEN coalesce(v.status, d.status) ELSE d.status END,
                next_attempt_at = CASE WHEN v.claimed THEN v.next_attempt_at ELSE d.next_attempt_at END,
                delivered_at = CASE WHEN v.claimed AND v.status = 'succeeded' THEN @now ELSE d.delivered_at END
            FROM unnest(@ids, @attempt_counts, @last_status_codes, @claimed, @statuses, @next_attempts)
                AS v(id, attempt_count, last_status_code, claimed, status, next_attempt_at)
            WHERE d.id = v.id
            """, connection, transaction);
        var p = write.Parameters;
        p.Add(new NpgsqlParameter<DateTime>("now", now) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<Guid[]>("attempt_ids", [.. recorded.Select(_ => Guid.CreateVersion7())]));
        p.Add(new NpgsqlParameter<Guid[]>("tenant_ids", [.. recorded.Select(r => r.TenantId)]));
        p.Add(new NpgsqlParameter<Guid[]>("delivery_ids", [.. recorded.Select(r => r.Attempt.Claimed.Delivery.Id)]));
        p.Add(new NpgsqlParameter<Guid[]>("endpoint_ids", [.. recorded.Select(r => r.EndpointId)]));
        p.Add(new NpgsqlParameter<int?[]>("status_codes", [.. recorded.Select(r => r.Attempt.StatusCode)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        p.Add(new NpgsqlParameter<int[]>("latencies", [.. recorded.Select(r => r.Attempt.LatencyMs)]));
        p.Add(new NpgsqlParameter<string?[]>("responses", [.. recorded.Select(r => r.Attempt.Response)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string?[]>("errors", [.. recorded.Select(r => r.Attempt.Error)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<Guid[]>("ids", [.. rows.Select(r => r.Key)]));
        p.Add(new NpgsqlParameter<int[]>("attempt_counts", [.. rows.Select(r => r.Value.AttemptCount)]));
        p.Add(new NpgsqlParameter<int?[]>("last_status_codes", [.. rows.Select(r => r.Value.LastStatusCode)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        p.Add(new NpgsqlParameter<bool[]>("claimed", [.. rows.Select(r => r.Value.Claimed)]));
        p.Add(new NpgsqlParameter<string?[]>("statuses", [.. rows.Select(r => r.Value.Status)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTime?[]>("next_attempts", [.. rows.Select(r => r.Value.NextAttemptAt)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        await write.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A locked delivery as the batch leaves it.</summary>
    private sealed class Row
    {
        public Guid? Token { get; set; }
        public int AttemptCount { get; set; }
        public int? LastStatusCode { get; set; }
        public bool Claimed { get; set; }
        public string? Status { get; set; }
        public DateTime? NextAttemptAt { get; set; }
    }
}
