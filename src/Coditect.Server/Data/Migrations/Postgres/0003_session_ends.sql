-- 0003: acquire starts a seat no earlier than the latest end recorded on its licence; this keeps that lookup short.
CREATE INDEX ix_license_sessions_ended ON license_sessions (license_id, ended_at) WHERE ended_at IS NOT NULL;
