-- 0021: borrowed seats (offline checkout), see the PostgreSQL script.
ALTER TABLE "licenses" ADD COLUMN "borrow_max_hours" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "license_sessions" ADD COLUMN "borrowed_until" TEXT NULL;
