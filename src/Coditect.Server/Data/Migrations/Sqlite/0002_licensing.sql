-- 0002: licences, their sessions (leases) and hourly usage (SQLite).
CREATE TABLE "licenses" (
    "id" TEXT NOT NULL CONSTRAINT "pk_licenses" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "key_preview" TEXT NOT NULL,
    "seats_total" INTEGER NOT NULL,
    "expires_at" TEXT NULL,
    "state" TEXT NOT NULL,
    "entitlements" TEXT NOT NULL,
    "metadata" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_licenses_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);

CREATE TABLE "license_sessions" (
    "id" TEXT NOT NULL CONSTRAINT "pk_license_sessions" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "license_id" TEXT NOT NULL,
    "hardware_id" TEXT NOT NULL,
    "user_email" TEXT NULL,
    "client_hostname" TEXT NULL,
    "client_app_version" TEXT NULL,
    "client_os" TEXT NULL,
    "status" TEXT NOT NULL,
    "started_at" TEXT NOT NULL,
    "last_heartbeat_at" TEXT NOT NULL,
    "heartbeat_count" INTEGER NOT NULL,
    "expires_at" TEXT NOT NULL,
    "ended_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_license_sessions_licenses_license_id" FOREIGN KEY ("license_id") REFERENCES "licenses" ("id") ON DELETE CASCADE
);

CREATE TABLE "license_usage" (
    "license_id" TEXT NOT NULL,
    "hour_start" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "acquisitions" INTEGER NOT NULL,
    "releases" INTEGER NOT NULL,
    "expiries" INTEGER NOT NULL,
    "kicks" INTEGER NOT NULL,
    "denials" INTEGER NOT NULL,
    "peak_seats_used" INTEGER NOT NULL,
    "last_seats_used" INTEGER NOT NULL,
    CONSTRAINT "pk_license_usage" PRIMARY KEY ("license_id", "hour_start"),
    CONSTRAINT "fk_license_usage_licenses_license_id" FOREIGN KEY ("license_id") REFERENCES "licenses" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_license_sessions_license_id_started_at" ON "license_sessions" ("license_id", "started_at");

CREATE INDEX "ix_license_sessions_live" ON "license_sessions" ("license_id", "expires_at") WHERE status = 'active';

CREATE INDEX "ix_license_sessions_sweep" ON "license_sessions" ("expires_at") WHERE status = 'active';

CREATE UNIQUE INDEX "ux_license_sessions_active_hardware" ON "license_sessions" ("license_id", "hardware_id") WHERE status = 'active';

CREATE UNIQUE INDEX "ix_licenses_key_hash" ON "licenses" ("key_hash");

CREATE INDEX "ix_licenses_tenant_id_created_at" ON "licenses" ("tenant_id", "created_at");
