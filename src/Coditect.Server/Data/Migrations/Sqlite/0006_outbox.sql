-- 0006: the transactional outbox and cluster jobs (SQLite). Numbered as on PostgreSQL, which has 0004 and 0005 for
-- its own indexes and counter.
-- AUTOINCREMENT: an id is never given out twice, even after old events are deleted, so each node's read position holds.
-- No foreign key to organizations on purpose: a deleted organization's events must outlive it until delivered.
CREATE TABLE "outbox" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_outbox" PRIMARY KEY AUTOINCREMENT,
    "tenant_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "created_at" TEXT NOT NULL
);

CREATE UNIQUE INDEX "ix_outbox_tenant_id_seq" ON "outbox" ("tenant_id", "seq");

CREATE INDEX "ix_outbox_created_at" ON "outbox" ("created_at");

CREATE TABLE "outbox_sequences" (
    "tenant_id" TEXT NOT NULL CONSTRAINT "pk_outbox_sequences" PRIMARY KEY,
    "next_seq" INTEGER NOT NULL,
    "dispatched_seq" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL,
    "retry_at" TEXT NULL,
    "last_error" TEXT NULL
);

CREATE TABLE "cluster_jobs" (
    "name" TEXT NOT NULL CONSTRAINT "pk_cluster_jobs" PRIMARY KEY,
    "holder" TEXT NULL,
    "lease_until" TEXT NULL,
    "last_run_at" TEXT NULL
);
