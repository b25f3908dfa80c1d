-- 0019: the fair seat queue (SQLite): the table and columns of the PostgreSQL script, same names, keys and indexes.
CREATE TABLE "license_queue_tickets" (
    "id" TEXT NOT NULL CONSTRAINT "pk_license_queue_tickets" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "license_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "ticket_hash" TEXT NOT NULL,
    "hardware_id" TEXT NOT NULL,
    "user_email" TEXT NULL,
    "client_hostname" TEXT NULL,
    "client_app_version" TEXT NULL,
    "client_os" TEXT NULL,
    "state" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "offered_at" TEXT NULL,
    "offer_expires_at" TEXT NULL,
    "session_id" TEXT NULL,
    "ended_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_license_queue_tickets_licenses_license_id" FOREIGN KEY ("license_id") REFERENCES "licenses" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ux_license_queue_tickets_ticket_hash" ON "license_queue_tickets" ("ticket_hash");
CREATE UNIQUE INDEX "ux_license_queue_tickets_license_id_seq" ON "license_queue_tickets" ("license_id", "seq");
CREATE INDEX "ix_license_queue_tickets_open" ON "license_queue_tickets" ("state") WHERE state IN ('waiting', 'offered');
CREATE INDEX "ix_license_queue_tickets_tenant_id_created_at" ON "license_queue_tickets" ("tenant_id", "created_at");

ALTER TABLE "license_usage" ADD COLUMN "queue_denials" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "license_usage" ADD COLUMN "queue_grants" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "license_usage" ADD COLUMN "queue_wait_seconds" INTEGER NOT NULL DEFAULT 0;
