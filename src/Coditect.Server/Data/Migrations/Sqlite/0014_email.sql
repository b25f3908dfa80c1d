-- 0014: e-mail (see the PostgreSQL script): outgoing mail, single-use tokens mailed to people, e-mail preferences.
ALTER TABLE "users" ADD COLUMN "email_verified_at" TEXT NULL;
ALTER TABLE "users" ADD COLUMN "muted_email_kinds" TEXT NOT NULL DEFAULT '[]';
UPDATE "users" SET "email_verified_at" = "created_at";

CREATE TABLE "outgoing_mail" (
    "id" TEXT NOT NULL CONSTRAINT "pk_outgoing_mail" PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "to_address" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text_body" TEXT NULL,
    "html_body" TEXT NULL,
    "status" TEXT NOT NULL,
    "attempt_count" INTEGER NOT NULL,
    "next_attempt_at" TEXT NULL,
    "lease_until" TEXT NULL,
    "claim_token" TEXT NULL,
    "last_error" TEXT NULL,
    "sent_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE INDEX "ix_outgoing_mail_status_next_attempt_at" ON "outgoing_mail" ("status", "next_attempt_at");

CREATE TABLE "user_tokens" (
    "id" TEXT NOT NULL CONSTRAINT "pk_user_tokens" PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "used_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_user_tokens_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ix_user_tokens_token_hash" ON "user_tokens" ("token_hash");
CREATE INDEX "ix_user_tokens_user_id" ON "user_tokens" ("user_id");
