-- Data for the pgbench scripts, shaped like the HTTP scenarios' (run.sh passes the sizes with -v).
-- hot: one licence (key hash '1000001') with :hot_seats seats and :hot_sessions held sessions;
-- cold: :cold_licenses licences (key hashes '2000001'...) with :cold_seats seats each, :cold_sessions held sessions
-- spread evenly (session n on licence n % cold_licenses). Held session ids are md5(prefix || n)::uuid.
-- Run as the superuser (row-level security does not bind it); pgbench then runs as the server's own role.
INSERT INTO organizations (id, slug, name, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-0000000000b1', 'pgbench', 'pgbench', now(), now());
INSERT INTO licenses (id, tenant_id, name, key_hash, key_preview, seats_total, expires_at, state, entitlements, metadata, created_at, updated_at)
SELECT md5('license-' || k)::uuid, '00000000-0000-0000-0000-0000000000b1', 'pgbench ' || k, k::text, 'cdl_pgb', seats, NULL, 'active', '[]', '{}', now(), now()
FROM (SELECT 1000001 AS k, :hot_seats AS seats
      UNION ALL SELECT 2000000 + g, :cold_seats FROM generate_series(1, :cold_licenses) g) l;
INSERT INTO license_sessions (id, tenant_id, license_id, hardware_id, user_email, client_hostname, client_app_version, client_os,
    status, started_at, last_heartbeat_at, heartbeat_count, expires_at, created_at, updated_at)
SELECT md5('hot-' || n)::uuid, '00000000-0000-0000-0000-0000000000b1', md5('license-1000001')::uuid, 'held-hot-' || n, NULL, 'bench', '1.0', 'linux',
    'active', now(), now(), 0, now() + interval '1 day', now(), now()
FROM generate_series(0, :hot_sessions - 1) n;
INSERT INTO license_sessions (id, tenant_id, license_id, hardware_id, user_email, client_hostname, client_app_version, client_os,
    status, started_at, last_heartbeat_at, heartbeat_count, expires_at, created_at, updated_at)
SELECT md5('cold-' || n)::uuid, '00000000-0000-0000-0000-0000000000b1', md5('license-' || (2000001 + n % :cold_licenses))::uuid, 'held-cold-' || n, NULL,
    'bench', '1.0', 'linux', 'active', now(), now(), 0, now() + interval '1 day', now(), now()
FROM generate_series(0, :cold_sessions - 1) n;
-- The PostgreSQL ledger's seat counter (ADR 0009), as the server keeps it.
UPDATE licenses l SET seats_held = (SELECT count(*) FROM license_sessions s WHERE s.license_id = l.id AND s.status = 'active');
ANALYZE;
