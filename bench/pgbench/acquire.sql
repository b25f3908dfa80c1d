-- The churn iteration on the database alone: PostgresSeatLedger's AcquireSql, then its ReleaseSql for the session
-- just acquired, each as ONE pipelined round trip in one implicit transaction (as the server's NpgsqlBatch runs them),
-- committed durably. One pgbench "transaction" = one HTTP churn iteration (acquire + release).
-- Transcribed from src/Coditect.Server/Licensing/Ledger/PostgresSeatLedger.Sql.cs; change both together.
-- Parameters: $1 key hash = :kh; $2 now = now() (one value per transaction, as the server passes one); $3 expiry =
-- now() + the server's lease TTL as run.sh sets it; $4 hardware id = :hw; $5 session id = md5(:hw)::uuid (pgbench
-- cannot make a uuid variable); $6..$9 client fields as literals; $10 hour = date_trunc('hour', now(), 'UTC').
-- Set by run.sh with -D: kh_base, licenses, ttl.
\set kh :kh_base + random(1, :licenses)
\set hw random(1, 4000000000000000000)
\startpipeline
SELECT set_config('plan_cache_mode', 'force_generic_plan', true);
SELECT set_config('app.license_key_hash', :kh, true);
SELECT set_config('app.tenant_id', coalesce((SELECT tenant_id::text FROM licenses WHERE key_hash = :kh), ''), true);
SELECT id FROM licenses WHERE key_hash = :kh FOR NO KEY UPDATE;
WITH lapsed AS (
    UPDATE license_sessions s SET status = 'expired', ended_at = s.expires_at, updated_at = now()
    FROM licenses l
    WHERE l.key_hash = :kh AND s.license_id = l.id AND s.license_id = (SELECT k.id FROM licenses k WHERE k.key_hash = :kh) AND s.status = 'active' AND s.expires_at <= now()
      AND s.hardware_id = :hw
    RETURNING s.license_id, s.tenant_id),
counted AS (
    INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
    SELECT license_id, date_trunc('hour', now(), 'UTC'), tenant_id, 0, 0, count(*), 0, 0, 0, 0 FROM lapsed GROUP BY license_id, tenant_id
    ON CONFLICT (license_id, hour_start) DO UPDATE SET expiries = license_usage.expiries + excluded.expiries)
UPDATE licenses l SET seats_held = l.seats_held - e.n
FROM (SELECT license_id, count(*)::int AS n FROM lapsed GROUP BY license_id) e
WHERE l.id = e.license_id;
UPDATE license_sessions s SET expires_at = now() + make_interval(secs => :ttl), last_heartbeat_at = now(), heartbeat_count = s.heartbeat_count + 1, updated_at = now()
FROM licenses l
WHERE l.key_hash = :kh AND s.license_id = l.id AND s.id = (SELECT m.id FROM license_sessions m WHERE m.license_id = (SELECT k.id FROM licenses k WHERE k.key_hash = :kh) AND m.hardware_id = :hw AND m.status = 'active')
  AND s.status = 'active' AND s.expires_at > now()
  AND l.state = 'active' AND (l.expires_at IS NULL OR l.expires_at > now());
WITH lapsed AS (
    UPDATE license_sessions s SET status = 'expired', ended_at = s.expires_at, updated_at = now()
    FROM licenses l
    WHERE l.key_hash = :kh AND s.license_id = l.id AND s.license_id = (SELECT k.id FROM licenses k WHERE k.key_hash = :kh AND k.seats_held >= k.seats_total)
      AND s.status = 'active' AND s.expires_at <= now() AND l.seats_held >= l.seats_total
    RETURNING s.license_id, s.tenant_id),
counted AS (
    INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
    SELECT license_id, date_trunc('hour', now(), 'UTC'), tenant_id, 0, 0, count(*), 0, 0, 0, 0 FROM lapsed GROUP BY license_id, tenant_id
    ON CONFLICT (license_id, hour_start) DO UPDATE SET expiries = license_usage.expiries + excluded.expiries)
UPDATE licenses l SET seats_held = l.seats_held - e.n
FROM (SELECT license_id, count(*)::int AS n FROM lapsed GROUP BY license_id) e
WHERE l.id = e.license_id;
WITH inserted AS (
    INSERT INTO license_sessions (id, tenant_id, license_id, hardware_id, user_email, client_hostname, client_app_version,
        client_os, status, started_at, last_heartbeat_at, heartbeat_count, expires_at, created_at, updated_at)
    SELECT md5(:hw::text)::uuid, l.tenant_id, l.id, :hw, NULL, 'bench', '1.0', 'linux', 'active',
           greatest(now(), (SELECT max(e.ended_at) FROM license_sessions e WHERE e.license_id = l.id AND e.ended_at > now())),
           now(), 0, now() + make_interval(secs => :ttl), now(), now()
    FROM licenses l
    WHERE l.key_hash = :kh AND l.state = 'active' AND (l.expires_at IS NULL OR l.expires_at > now()) AND l.seats_held < l.seats_total
      AND NOT EXISTS (SELECT 1 FROM license_sessions s WHERE s.license_id = (SELECT k.id FROM licenses k WHERE k.key_hash = :kh) AND s.hardware_id = :hw AND s.status = 'active')
    RETURNING license_id)
UPDATE licenses l SET seats_held = l.seats_held + 1 FROM inserted i WHERE l.id = i.license_id;
INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
SELECT l.id, date_trunc('hour', now(), 'UTC'), l.tenant_id, CASE WHEN s.id IS NULL THEN 0 ELSE 1 END, 0, 0, 0, CASE WHEN s.id IS NULL THEN 1 ELSE 0 END,
       l.seats_held, l.seats_held
FROM licenses l
LEFT JOIN license_sessions s ON s.license_id = (SELECT k.id FROM licenses k WHERE k.key_hash = :kh) AND s.hardware_id = :hw AND s.status = 'active'
WHERE l.key_hash = :kh AND l.state = 'active' AND (l.expires_at IS NULL OR l.expires_at > now()) AND (s.id IS NULL OR s.id = md5(:hw::text)::uuid)
ON CONFLICT (license_id, hour_start) DO UPDATE SET
    acquisitions = license_usage.acquisitions + excluded.acquisitions,
    denials = license_usage.denials + excluded.denials,
    peak_seats_used = greatest(license_usage.peak_seats_used, excluded.peak_seats_used),
    last_seats_used = excluded.last_seats_used;
SELECT l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, l.entitlements, l.seats_held, s.id, s.expires_at
FROM licenses l
LEFT JOIN license_sessions s ON s.license_id = (SELECT k.id FROM licenses k WHERE k.key_hash = :kh) AND s.hardware_id = :hw AND s.status = 'active'
WHERE l.key_hash = :kh;
\endpipeline
\startpipeline
SELECT set_config('plan_cache_mode', 'force_generic_plan', true);
SELECT set_config('app.license_key_hash', :kh, true);
SELECT set_config('app.tenant_id', coalesce((SELECT tenant_id::text FROM licenses WHERE key_hash = :kh), ''), true);
SELECT id FROM licenses WHERE key_hash = :kh FOR NO KEY UPDATE;
WITH released AS (
    UPDATE license_sessions s SET status = 'released', ended_at = now(), updated_at = now()
    FROM licenses l
    WHERE s.id = md5(:hw::text)::uuid AND l.id = s.license_id AND l.key_hash = :kh AND s.status = 'active'
    RETURNING s.license_id, s.tenant_id),
held AS (
    UPDATE licenses l SET seats_held = l.seats_held - 1 FROM released r WHERE l.id = r.license_id
    RETURNING l.id, l.seats_held)
INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
SELECT r.license_id, date_trunc('hour', now(), 'UTC'), r.tenant_id, 0, 1, 0, 0, 0, 0, h.seats_held
FROM released r JOIN held h ON h.id = r.license_id
ON CONFLICT (license_id, hour_start) DO UPDATE SET
    releases = license_usage.releases + 1, last_seats_used = excluded.last_seats_used;
SELECT l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, l.entitlements, s.id, s.status
FROM licenses l LEFT JOIN license_sessions s ON s.id = md5(:hw::text)::uuid AND s.license_id = l.id
WHERE l.key_hash = :kh;
\endpipeline
