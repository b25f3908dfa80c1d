-- 0001: identity, organizations, members, invitations, API keys, audit, server keys (PostgreSQL).
-- Built from the EF model; SchemaMatchesModel tests keep the two in step. Runs as the database owner;
-- no superuser is needed.
CREATE TABLE audit_events (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    actor_type character varying(16) NOT NULL,
    actor_id uuid,
    action character varying(100) NOT NULL,
    object_type character varying(64) NOT NULL,
    object_id character varying(64) NOT NULL,
    changes text NOT NULL,
    request_id character varying(64),
    occurred_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_audit_events PRIMARY KEY (id)
);

CREATE TABLE organizations (
    id uuid NOT NULL,
    slug character varying(63) NOT NULL,
    name character varying(200) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_organizations PRIMARY KEY (id)
);

CREATE TABLE server_keys (
    id uuid NOT NULL,
    purpose character varying(32) NOT NULL,
    algorithm character varying(16) NOT NULL,
    encrypted_key bytea NOT NULL,
    retired_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_server_keys PRIMARY KEY (id)
);

CREATE TABLE users (
    id uuid NOT NULL,
    email character varying(254) NOT NULL,
    normalized_email character varying(254) NOT NULL,
    name character varying(200) NOT NULL,
    password_hash text NOT NULL,
    is_staff boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_users PRIMARY KEY (id)
);

CREATE TABLE api_keys (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name character varying(100) NOT NULL,
    role character varying(16) NOT NULL,
    prefix character varying(16) NOT NULL,
    key_hash character varying(64) NOT NULL,
    created_by_user_id uuid,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_api_keys PRIMARY KEY (id),
    CONSTRAINT fk_api_keys_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE TABLE invitations (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    email character varying(254) NOT NULL,
    role character varying(16) NOT NULL,
    token_hash character varying(64) NOT NULL,
    invited_by_user_id uuid,
    expires_at timestamp with time zone NOT NULL,
    accepted_at timestamp with time zone,
    accepted_by_user_id uuid,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_invitations PRIMARY KEY (id),
    CONSTRAINT fk_invitations_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE TABLE memberships (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_memberships PRIMARY KEY (id),
    CONSTRAINT fk_memberships_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_memberships_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE refresh_tokens (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    family_id uuid NOT NULL,
    token_hash character varying(64) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    spent_at timestamp with time zone,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_refresh_tokens PRIMARY KEY (id),
    CONSTRAINT fk_refresh_tokens_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ix_api_keys_key_hash ON api_keys (key_hash);

CREATE INDEX ix_api_keys_tenant_id_created_at ON api_keys (tenant_id, created_at);

CREATE INDEX ix_audit_events_tenant_id_occurred_at ON audit_events (tenant_id, occurred_at);

CREATE INDEX ix_invitations_tenant_id_created_at ON invitations (tenant_id, created_at);

CREATE UNIQUE INDEX ix_invitations_token_hash ON invitations (token_hash);

CREATE UNIQUE INDEX ix_memberships_tenant_id_user_id ON memberships (tenant_id, user_id);

CREATE INDEX ix_memberships_user_id ON memberships (user_id);

CREATE UNIQUE INDEX ix_organizations_slug ON organizations (slug);

CREATE INDEX ix_refresh_tokens_family_id ON refresh_tokens (family_id);

CREATE UNIQUE INDEX ix_refresh_tokens_token_hash ON refresh_tokens (token_hash);

CREATE INDEX ix_refresh_tokens_user_id ON refresh_tokens (user_id);

CREATE INDEX ix_server_keys_purpose_created_at ON server_keys (purpose, created_at);

CREATE UNIQUE INDEX ix_users_normalized_email ON users (normalized_email);


-- Tenant isolation underneath the application (Tenancy/README.md). The server sets these settings per
-- transaction with set_config(..., true); with none set, every policy below matches no row.
CREATE FUNCTION app_tenant_id() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
-- The narrow cross-tenant path (API key and invitation lookups by hash, background jobs).
CREATE FUNCTION app_is_system() RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.system', true), '') = 'on' $$;

-- FORCE makes the policies bind the table owner too: the server's own role is the owner.
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
    USING (tenant_id = app_tenant_id() OR app_is_system())
    WITH CHECK (tenant_id = app_tenant_id() OR app_is_system());
-- A signed-in user reads their own memberships across tenants (/me, resolving {org}); read-only.
CREATE POLICY memberships_self ON memberships FOR SELECT USING (user_id = app_user_id());

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (tenant_id = app_tenant_id() OR app_is_system())
    WITH CHECK (tenant_id = app_tenant_id() OR app_is_system());

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = app_tenant_id() OR app_is_system())
    WITH CHECK (tenant_id = app_tenant_id() OR app_is_system());

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (tenant_id = app_tenant_id() OR app_is_system())
    WITH CHECK (tenant_id = app_tenant_id() OR app_is_system());
