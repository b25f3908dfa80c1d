-- 0001: identity, organizations, members, invitations, API keys, audit, server keys (SQLite).
-- Built from the EF model; SchemaMatchesModel tests keep the two in step.
CREATE TABLE "audit_events" (
    "id" TEXT NOT NULL CONSTRAINT "pk_audit_events" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT NULL,
    "action" TEXT NOT NULL,
    "object_type" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "changes" TEXT NOT NULL,
    "request_id" TEXT NULL,
    "occurred_at" TEXT NOT NULL
);

CREATE TABLE "organizations" (
    "id" TEXT NOT NULL CONSTRAINT "pk_organizations" PRIMARY KEY,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);

CREATE TABLE "server_keys" (
    "id" TEXT NOT NULL CONSTRAINT "pk_server_keys" PRIMARY KEY,
    "purpose" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "encrypted_key" BLOB NOT NULL,
    "retired_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);

CREATE TABLE "users" (
    "id" TEXT NOT NULL CONSTRAINT "pk_users" PRIMARY KEY,
    "email" TEXT NOT NULL,
    "normalized_email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "is_staff" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);

CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL CONSTRAINT "pk_api_keys" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "created_by_user_id" TEXT NULL,
    "last_used_at" TEXT NULL,
    "revoked_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_api_keys_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);

CREATE TABLE "invitations" (
    "id" TEXT NOT NULL CONSTRAINT "pk_invitations" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "invited_by_user_id" TEXT NULL,
    "expires_at" TEXT NOT NULL,
    "accepted_at" TEXT NULL,
    "accepted_by_user_id" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_invitations_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);

CREATE TABLE "memberships" (
    "id" TEXT NOT NULL CONSTRAINT "pk_memberships" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_memberships_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_memberships_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE TABLE "refresh_tokens" (
    "id" TEXT NOT NULL CONSTRAINT "pk_refresh_tokens" PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "family_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "spent_at" TEXT NULL,
    "revoked_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_refresh_tokens_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_api_keys_key_hash" ON "api_keys" ("key_hash");

CREATE INDEX "ix_api_keys_tenant_id_created_at" ON "api_keys" ("tenant_id", "created_at");

CREATE INDEX "ix_audit_events_tenant_id_occurred_at" ON "audit_events" ("tenant_id", "occurred_at");

CREATE INDEX "ix_invitations_tenant_id_created_at" ON "invitations" ("tenant_id", "created_at");

CREATE UNIQUE INDEX "ix_invitations_token_hash" ON "invitations" ("token_hash");

CREATE UNIQUE INDEX "ix_memberships_tenant_id_user_id" ON "memberships" ("tenant_id", "user_id");

CREATE INDEX "ix_memberships_user_id" ON "memberships" ("user_id");

CREATE UNIQUE INDEX "ix_organizations_slug" ON "organizations" ("slug");

CREATE INDEX "ix_refresh_tokens_family_id" ON "refresh_tokens" ("family_id");

CREATE UNIQUE INDEX "ix_refresh_tokens_token_hash" ON "refresh_tokens" ("token_hash");

CREATE INDEX "ix_refresh_tokens_user_id" ON "refresh_tokens" ("user_id");

CREATE INDEX "ix_server_keys_purpose_created_at" ON "server_keys" ("purpose", "created_at");

CREATE UNIQUE INDEX "ix_users_normalized_email" ON "users" ("normalized_email");

