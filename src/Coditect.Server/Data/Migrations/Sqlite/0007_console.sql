-- 0007: the web console (see the PostgreSQL script): security stamps, organization suspension, Data Protection keys.
ALTER TABLE "users" ADD COLUMN "security_stamp" TEXT NOT NULL DEFAULT '';
UPDATE "users" SET "security_stamp" = lower(hex(randomblob(16)));

ALTER TABLE "organizations" ADD COLUMN "suspended_at" TEXT NULL;

CREATE TABLE "data_protection_keys" (
    "id" TEXT NOT NULL CONSTRAINT "pk_data_protection_keys" PRIMARY KEY,
    "friendly_name" TEXT NOT NULL,
    "xml" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
