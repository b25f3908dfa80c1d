-- 0012: billing (SQLite): the tables of the PostgreSQL script, same names, columns, keys and indexes.
CREATE TABLE "billing_accounts" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "plan" TEXT NULL,
    "status" TEXT NOT NULL,
    "seats" INTEGER NOT NULL,
    "period_end" TEXT NULL,
    "trial_started_at" TEXT NULL,
    "trial_ends_at" TEXT NULL,
    "cancel_at_period_end" INTEGER NOT NULL,
    "past_due_since" TEXT NULL,
    "customer_id" TEXT NULL,
    "subscription_id" TEXT NULL,
    "product_license_id" TEXT NULL,
    "stripe_state_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_billing_accounts" PRIMARY KEY ("id"),
    CONSTRAINT "fk_billing_accounts_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ix_billing_accounts_tenant_id" ON "billing_accounts" ("tenant_id");

CREATE TABLE "billing_events" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "occurred_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_billing_events" PRIMARY KEY ("id"),
    CONSTRAINT "fk_billing_events_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ix_billing_events_event_id" ON "billing_events" ("event_id");
CREATE INDEX "ix_billing_events_tenant_id_type_occurred_at" ON "billing_events" ("tenant_id", "type", "occurred_at");

ALTER TABLE "licenses" ADD COLUMN "managed_by" TEXT NULL;
