-- 0016: usage metering (SQLite): the tables of the PostgreSQL script, same names, columns, keys and indexes.
CREATE TABLE "metered_hours" (
    "license_id" TEXT NOT NULL,
    "hour" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "seat_hours" REAL NOT NULL,
    "acquisitions" INTEGER NOT NULL,
    "computed_at" TEXT NOT NULL,
    CONSTRAINT "pk_metered_hours" PRIMARY KEY ("license_id", "hour"),
    CONSTRAINT "fk_metered_hours_licenses_license_id" FOREIGN KEY ("license_id") REFERENCES "licenses" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_metered_hours_tenant_id_hour" ON "metered_hours" ("tenant_id", "hour");

CREATE TABLE "meter_runs" (
    "hour" TEXT NOT NULL,
    "computed_at" TEXT NOT NULL,
    CONSTRAINT "pk_meter_runs" PRIMARY KEY ("hour")
);

CREATE TABLE "usage_reports" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "meter" TEXT NOT NULL,
    "hour" TEXT NOT NULL,
    "value" INTEGER NOT NULL,
    "reported_at" TEXT NULL,
    "stripe_identifier" TEXT NULL,
    "last_error" TEXT NULL,
    "attempts" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_usage_reports" PRIMARY KEY ("id"),
    CONSTRAINT "fk_usage_reports_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ix_usage_reports_subscription_id_meter_hour" ON "usage_reports" ("subscription_id", "meter", "hour");
CREATE INDEX "ix_usage_reports_reported_at_hour" ON "usage_reports" ("reported_at", "hour");
CREATE INDEX "ix_usage_reports_tenant_id_hour" ON "usage_reports" ("tenant_id", "hour");
