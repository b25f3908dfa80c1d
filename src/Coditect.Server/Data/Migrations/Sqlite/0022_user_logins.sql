-- 0022: OpenID Connect sign-in (see the PostgreSQL script): a user's identity at a configured provider.
CREATE TABLE "user_logins" (
    "id" TEXT NOT NULL CONSTRAINT "pk_user_logins" PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "last_sign_in_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "fk_user_logins_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "ix_user_logins_provider_subject" ON "user_logins" ("provider", "subject");
CREATE INDEX "ix_user_logins_user_id" ON "user_logins" ("user_id");
