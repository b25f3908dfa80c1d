-- 0017: per-endpoint sequence numbers of webhook deliveries, and the retention job's indexes (see the PostgreSQL script).
ALTER TABLE "webhook_deliveries" ADD COLUMN "sequence" INTEGER NULL;

CREATE TABLE "webhook_sequences" (
    "endpoint_id" TEXT NOT NULL CONSTRAINT "pk_webhook_sequences" PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    "last_sequence" INTEGER NOT NULL,
    CONSTRAINT "fk_webhook_sequences_webhook_subscriptions_endpoint_id" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_subscriptions" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_webhook_deliveries_created_at" ON "webhook_deliveries" ("created_at");
CREATE INDEX "ix_webhook_attempts_created_at" ON "webhook_attempts" ("created_at");
