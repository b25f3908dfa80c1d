-- A heartbeat on the database alone: PostgresSeatLedger's HeartbeatSql as ONE pipelined round trip in one implicit
-- transaction (as the server's NpgsqlBatch runs it), committed durably, for a random held session.
-- Transcribed from src/Coditect.Server/Licensing/Ledger/PostgresSeatLedger.Sql.cs; change both together.
-- Parameters: $1 key hash = :kh (the licence run.sh seeded session :n on); $2 now = now(); $3 new expiry =
-- now() + the lease TTL; $4 session id = md5(:prefix || :n)::uuid, as run.sh seeded it.
-- Set by run.sh with -D: kh_base, licenses, sessions, prefix, ttl.
\set n random(0, :sessions - 1)
\set kh :kh_base + 1 + :n % :licenses
\startpipeline
SELECT set_config('app.license_key_hash', :kh, true);
SELECT set_config('app.tenant_id', coalesce((SELECT tenant_id::text FROM licenses WHERE key_hash = :kh), ''), true);
UPDATE license_sessions s SET expires_at = greatest(s.expires_at, now() + make_interval(secs => :ttl)), last_heartbeat_at = now(), heartbeat_count = s.heartbeat_count + 1, updated_at = now()
FROM licenses l
WHERE s.id = md5(:prefix::text || :n::text)::uuid AND l.id = s.license_id AND l.key_hash = :kh AND s.status = 'active' AND s.expires_at > now()
  AND l.state = 'active' AND (l.expires_at IS NULL OR l.expires_at > now()) AND l.type = 'floating'
  AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = l.tenant_id AND o.suspended_at IS NOT NULL);
SELECT l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, l.entitlements,
       EXISTS (SELECT 1 FROM organizations o WHERE o.id = l.tenant_id AND o.suspended_at IS NOT NULL), l.type,
       s.id, s.status, s.expires_at, s.hardware_id, s.borrowed_until
FROM licenses l LEFT JOIN license_sessions s ON s.id = md5(:prefix::text || :n::text)::uuid AND s.license_id = l.id
WHERE l.key_hash = :kh;
\endpipeline
