-- 0020: node-locked licences and their activated machines (see the PostgreSQL script).
ALTER TABLE "licenses" ADD COLUMN "type" TEXT NOT NULL DEFAULT 'floating';

CREATE TABLE "license_machines" (
    "id" TEXT NOT NULL CONSTRAINT "pk_license_machines" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "license_id" TEXT NOT NULL,
    "hardware_id" TEXT NOT NULL,
    "name" TEXT NULL,
    "platform" TEXT NULL,
    "last_seen_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_license_machines_licenses_license_id" FOREIGN KEY ("license_id") REFERENCES "licenses" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ux_license_machines_license_id_hardware_id" ON "license_machines" ("license_id", "hardware_id");
CREATE INDEX "ix_license_machines_license_id_created_at" ON "license_machines" ("license_id", "created_at");
