-- 0002: licences, their sessions (leases) and hourly usage (PostgreSQL).
CREATE TABLE licenses (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name character varying(200) NOT NULL,
    key_hash character varying(64) NOT NULL,
    key_preview character varying(32) NOT NULL,
    seats_total integer NOT NULL,
    expires_at timestamp with time zone,
    state character varying(16) NOT NULL,
    entitlements text NOT NULL,
    metadata text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_licenses PRIMARY KEY (id),
    CONSTRAINT fk_licenses_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE TABLE license_sessions (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    license_id uuid NOT NULL,
    hardware_id character varying(256) NOT NULL,
    user_email character varying(254),
    client_hostname character varying(200),
    client_app_version character varying(100),
    client_os character varying(100),
    status character varying(16) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    last_heartbeat_at timestamp with time zone NOT NULL,
    heartbeat_count bigint NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_license_sessions PRIMARY KEY (id),
    CONSTRAINT fk_license_sessions_licenses_license_id FOREIGN KEY (license_id) REFERENCES licenses (id) ON DELETE CASCADE
);

CREATE TABLE license_usage (
    license_id uuid NOT NULL,
    hour_start timestamp with time zone NOT NULL,
    tenant_id uuid NOT NULL,
    acquisitions integer NOT NULL,
    releases integer NOT NULL,
    expiries integer NOT NULL,
    kicks integer NOT NULL,
    denials integer NOT NULL,
    peak_seats_used integer NOT NULL,
    last_seats_used integer NOT NULL,
    CONSTRAINT pk_license_usage PRIMARY KEY (license_id, hour_start),
    CONSTRAINT fk_license_usage_licenses_license_id FOREIGN KEY (license_id) REFERENCES licenses (id) ON DELETE CASCADE
);

CREATE INDEX ix_license_sessions_license_id_started_at ON license_sessions (license_id, started_at);

CREATE INDEX ix_license_sessions_live ON license_sessions (license_id, expires_at) WHERE status = 'active';

CREATE INDEX ix_license_sessions_sweep ON license_sessions (expires_at) WHERE status = 'active';

CREATE UNIQUE INDEX ux_license_sessions_active_hardware ON license_sessions (license_id, hardware_id) WHERE status = 'active';

CREATE UNIQUE INDEX ix_licenses_key_hash ON licenses (key_hash);

CREATE INDEX ix_licenses_tenant_id_created_at ON licenses (tenant_id, created_at);

ALTER TABLE licenses ENABLE ROW LEVEL SECURITY;
ALTER TABLE licenses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON licenses
    USING (tenant_id = app_tenant_id() OR app_is_system())
    WITH CHECK (tenant_id = app_tenant_id() OR app_is_system());
-- The lease protocol authenticates with the licence key: whoever presents a key (its hash, set per transaction)
-- may read that one licence row, and so learn its tenant. Nothing else is visible that way.
CREATE POLICY license_by_key ON licenses FOR SELECT
    USING (key_hash = nullif(current_setting('app.license_key_hash', true), ''));

ALTER TABLE license_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE license_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON license_sessions
    USING (tenant_id = app_tenant_id() OR app_is_system())
    WITH CHECK (tenant_id = app_tenant_id() OR app_is_system());

ALTER TABLE license_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE license_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON license_usage
    USING (tenant_id = app_tenant_id() OR app_is_system())
    WITH CHECK (tenant_id = app_tenant_id() OR app_is_system());
