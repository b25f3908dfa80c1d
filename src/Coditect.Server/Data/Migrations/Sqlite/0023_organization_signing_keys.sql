-- 0023: per-organization lease-token signing keys (see the PostgreSQL script).
ALTER TABLE "server_keys" ADD COLUMN "organization_id" TEXT NULL
    CONSTRAINT "fk_server_keys_organizations_organization_id" REFERENCES "organizations" ("id") ON DELETE CASCADE;
CREATE UNIQUE INDEX "ix_server_keys_purpose_organization_id" ON "server_keys" ("purpose", "organization_id")
    WHERE "organization_id" IS NOT NULL AND "retired_at" IS NULL;
CREATE INDEX "ix_server_keys_organization_id_created_at" ON "server_keys" ("organization_id", "created_at");
