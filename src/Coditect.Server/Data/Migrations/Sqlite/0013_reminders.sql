-- 0013: what the alert jobs already told admins (see the PostgreSQL script): expiry reminders and seats-exhausted
-- announcements, each once.
CREATE TABLE "license_reminders" (
    "license_id" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "threshold_days" INTEGER NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "sent_at" TEXT NOT NULL,
    CONSTRAINT "pk_license_reminders" PRIMARY KEY ("license_id", "expires_at", "threshold_days"),
    CONSTRAINT "fk_license_reminders_licenses_license_id" FOREIGN KEY ("license_id") REFERENCES "licenses" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_license_reminders_expires_at" ON "license_reminders" ("expires_at");

CREATE TABLE "seat_alerts" (
    "license_id" TEXT NOT NULL,
    "hour_start" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "denials" INTEGER NOT NULL,
    "announced_at" TEXT NOT NULL,
    "mailed_on" TEXT NULL,
    CONSTRAINT "pk_seat_alerts" PRIMARY KEY ("license_id", "hour_start"),
    CONSTRAINT "fk_seat_alerts_licenses_license_id" FOREIGN KEY ("license_id") REFERENCES "licenses" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ux_seat_alerts_license_id_mailed_on" ON "seat_alerts" ("license_id", "mailed_on");

CREATE INDEX "ix_license_usage_hour_start" ON "license_usage" ("hour_start");
