-- 0015: Dev Context roll-ups for the statistics (issue 12's speed bar), as on PostgreSQL: commit sync keeps commits
-- per ISO week (Monday, UTC) and per author e-mail for each repository, from the rows it actually inserted.
CREATE TABLE "commit_weeks" (
    "repository_id" TEXT NOT NULL,
    "week_start" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "commits" INTEGER NOT NULL,
    CONSTRAINT "pk_commit_weeks" PRIMARY KEY ("repository_id", "week_start"),
    CONSTRAINT "fk_commit_weeks_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "repositories" ("id") ON DELETE CASCADE
);

CREATE TABLE "commit_authors" (
    "repository_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "commits" INTEGER NOT NULL,
    "first_commit_at" TEXT NOT NULL,
    "last_commit_at" TEXT NOT NULL,
    CONSTRAINT "pk_commit_authors" PRIMARY KEY ("repository_id", "email"),
    CONSTRAINT "fk_commit_authors_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "repositories" ("id") ON DELETE CASCADE
);

DROP INDEX "ix_tasks_project_id_status";
CREATE INDEX "ix_tasks_project_id_status_number" ON "tasks" ("project_id", "status", "number");
CREATE INDEX "ix_tasks_project_id_updated_at" ON "tasks" ("project_id", "updated_at");
CREATE INDEX "ix_tasks_project_id_due_date" ON "tasks" ("project_id", "due_date");

INSERT INTO "commit_weeks" ("repository_id", "week_start", "tenant_id", "commits")
SELECT "repository_id", date("committed_at", 'weekday 0', '-6 days'), min("tenant_id"), count(*)
FROM "commits" GROUP BY 1, 2;
INSERT INTO "commit_authors" ("repository_id", "email", "tenant_id", "commits", "first_commit_at", "last_commit_at")
SELECT "repository_id", "author_email", min("tenant_id"), count(*), min("committed_at"), max("committed_at")
FROM "commits" GROUP BY 1, 2;
