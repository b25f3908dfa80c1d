-- 0005: the Redis mode's reconciliation reads the sessions PostgreSQL ended since its last pass (status no longer
-- 'active', by updated_at) on every sweep of every node; without this index that is a scan of the whole session
-- history. Ended sessions are never updated again, so the index costs one entry per session end.
-- Not mapped by EF and not on SQLite: only the Redis mode, which needs PostgreSQL, reads it.
CREATE INDEX ix_license_sessions_recently_ended ON license_sessions (updated_at) WHERE status <> 'active';
