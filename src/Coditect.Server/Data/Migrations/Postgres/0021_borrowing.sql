-- 0021: borrowed seats (offline checkout). A licence allows borrowing for up to borrow_max_hours (0: off); a borrowed
-- session carries borrowed_until, which is also its expires_at: it holds its seat without heartbeats until then, and
-- the sweeper (expires_at <= now) cannot end it before. No new table, so no new RLS policy.
ALTER TABLE licenses ADD COLUMN borrow_max_hours integer NOT NULL DEFAULT 0;
ALTER TABLE license_sessions ADD COLUMN borrowed_until timestamp with time zone;
