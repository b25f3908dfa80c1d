-- 0004: the PostgreSQL seat ledger keeps a count of each licence's unended sessions on the licence row, so acquire and
-- release are O(1) on a licence with thousands of seats instead of counting its sessions under the licence lock
-- (docs/adr/0009-seat-counter.md). seats_held = the licence's sessions with status 'active', live or lapsed but not
-- yet ended; changed only by a transaction that holds the licence row lock (FOR NO KEY UPDATE).
-- Not mapped by EF and not on SQLite: only the PostgreSQL ledger reads and writes it.
ALTER TABLE licenses ADD COLUMN seats_held integer NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD CONSTRAINT ck_licenses_seats_held CHECK (seats_held >= 0);

SELECT set_config('app.system', 'on', true);
UPDATE licenses l
SET seats_held = (SELECT count(*) FROM license_sessions s WHERE s.license_id = l.id AND s.status = 'active');
