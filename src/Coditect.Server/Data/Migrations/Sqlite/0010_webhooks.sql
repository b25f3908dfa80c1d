-- 0010: webhook endpoints, their deliveries (one per event and endpoint) and each delivery's attempts.
CREATE TABLE "webhook_subscriptions" (
    "id" TEXT NOT NULL CONSTRAINT "pk_webhook_subscriptions" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "event_types" TEXT NOT NULL,
    "enabled" INTEGER NOT NULL,
    "disabled_reason" TEXT NULL,
    "secret" BLOB NOT NULL,
    "previous_secret" BLOB NULL,
    "previous_secret_until" TEXT NULL,
    "failing_since" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_webhook_subscriptions_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_webhook_subscriptions_tenant_id_created_at" ON "webhook_subscriptions" ("tenant_id", "created_at");

CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL CONSTRAINT "pk_webhook_deliveries" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempt_count" INTEGER NOT NULL,
    "next_attempt_at" TEXT NULL,
    "lease_until" TEXT NULL,
    "claim_token" TEXT NULL,
    "last_status_code" INTEGER NULL,
    "delivered_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_webhook_deliveries_webhook_subscriptions_endpoint_id" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_subscriptions" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ix_webhook_deliveries_endpoint_id_event_id" ON "webhook_deliveries" ("endpoint_id", "event_id");
CREATE INDEX "ix_webhook_deliveries_endpoint_id_created_at" ON "webhook_deliveries" ("endpoint_id", "created_at");
CREATE INDEX "ix_webhook_deliveries_next_attempt_at" ON "webhook_deliveries" ("next_attempt_at") WHERE status = 'pending';

CREATE TABLE "webhook_attempts" (
    "id" TEXT NOT NULL CONSTRAINT "pk_webhook_attempts" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "status_code" INTEGER NULL,
    "latency_ms" INTEGER NOT NULL,
    "response" TEXT NULL,
    "error" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_webhook_attempts_webhook_deliveries_delivery_id" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_webhook_attempts_delivery_id_created_at" ON "webhook_attempts" ("delivery_id", "created_at");
