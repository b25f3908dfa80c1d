-- 0009: Dev Context, part 1 (SQLite): the tables of the PostgreSQL script, same names, columns, keys and indexes.
-- SQLite has no row-level security: the EF tenant filters and the save guard are the isolation here.
CREATE TABLE "teams" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "description" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_teams" PRIMARY KEY ("id"),
    CONSTRAINT "fk_teams_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_teams_tenant_id_slug" ON "teams" ("tenant_id", "slug");

CREATE TABLE "team_members" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "team_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_team_members" PRIMARY KEY ("id"),
    CONSTRAINT "fk_team_members_teams_team_id" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_team_members_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_team_members_team_id_user_id" ON "team_members" ("team_id", "user_id");

CREATE INDEX "ix_team_members_user_id" ON "team_members" ("user_id");

-- next_task_number is the per-project counter: UPDATE ... RETURNING takes the row lock, so parallel creates never
-- share a number, and a deleted task's number is never given out again.
CREATE TABLE "projects" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "description" TEXT NULL,
    "status" TEXT NOT NULL,
    "team_id" TEXT NULL,
    "created_by" TEXT NULL,
    "next_task_number" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_projects" PRIMARY KEY ("id"),
    CONSTRAINT "fk_projects_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_projects_teams_team_id" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE SET NULL
);

CREATE UNIQUE INDEX "ix_projects_tenant_id_slug" ON "projects" ("tenant_id", "slug");

CREATE INDEX "ix_projects_team_id" ON "projects" ("team_id");

-- A project's current key and every key it had: a reference made with an old key still resolves.
CREATE TABLE "project_keys" (
    "tenant_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    CONSTRAINT "pk_project_keys" PRIMARY KEY ("tenant_id", "key"),
    CONSTRAINT "fk_project_keys_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_project_keys_project_id" ON "project_keys" ("project_id");

CREATE TABLE "plan_versions" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "content" TEXT NOT NULL,
    "content_bytes" INTEGER NOT NULL,
    "summary" TEXT NULL,
    "author_id" TEXT NULL,
    "created_at" TEXT NOT NULL,
    CONSTRAINT "pk_plan_versions" PRIMARY KEY ("id"),
    CONSTRAINT "fk_plan_versions_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_plan_versions_project_id_version" ON "plan_versions" ("project_id", "version");

CREATE TABLE "task_lists" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_task_lists" PRIMARY KEY ("id"),
    CONSTRAINT "fk_task_lists_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_task_lists_project_id_position" ON "task_lists" ("project_id", "position");

CREATE TABLE "tasks" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "task_list_id" TEXT NOT NULL,
    "parent_id" TEXT NULL,
    "number" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NULL,
    "status" TEXT NOT NULL,
    "assignee_id" TEXT NULL,
    "priority" INTEGER NOT NULL,
    "due_date" TEXT NULL,
    "estimate_hours" REAL NULL,
    "labels" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "completed_at" TEXT NULL,
    "created_by" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_tasks" PRIMARY KEY ("id"),
    CONSTRAINT "fk_tasks_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_tasks_task_lists_task_list_id" FOREIGN KEY ("task_list_id") REFERENCES "task_lists" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_tasks_tasks_parent_id" FOREIGN KEY ("parent_id") REFERENCES "tasks" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_tasks_users_assignee_id" FOREIGN KEY ("assignee_id") REFERENCES "users" ("id") ON DELETE SET NULL
);

CREATE UNIQUE INDEX "ix_tasks_project_id_number" ON "tasks" ("project_id", "number");

CREATE INDEX "ix_tasks_task_list_id_position" ON "tasks" ("task_list_id", "position");

CREATE INDEX "ix_tasks_parent_id" ON "tasks" ("parent_id");

CREATE INDEX "ix_tasks_assignee_id" ON "tasks" ("assignee_id");

CREATE INDEX "ix_tasks_project_id_status" ON "tasks" ("project_id", "status");

CREATE TABLE "task_dependencies" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "depends_on_id" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_task_dependencies" PRIMARY KEY ("id"),
    CONSTRAINT "fk_task_dependencies_tasks_task_id" FOREIGN KEY ("task_id") REFERENCES "tasks" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_task_dependencies_tasks_depends_on_id" FOREIGN KEY ("depends_on_id") REFERENCES "tasks" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_task_dependencies_task_id_depends_on_id" ON "task_dependencies" ("task_id", "depends_on_id");

CREATE INDEX "ix_task_dependencies_depends_on_id" ON "task_dependencies" ("depends_on_id");

CREATE TABLE "repositories" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "clone_url" TEXT NULL,
    "default_branch" TEXT NOT NULL,
    "project_id" TEXT NULL,
    "commit_count" INTEGER NOT NULL,
    "last_commit_at" TEXT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_repositories" PRIMARY KEY ("id"),
    CONSTRAINT "fk_repositories_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_repositories_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE SET NULL
);

CREATE UNIQUE INDEX "ix_repositories_tenant_id_name" ON "repositories" ("tenant_id", "name");

CREATE INDEX "ix_repositories_project_id" ON "repositories" ("project_id");

CREATE TABLE "commits" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "repository_id" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "author_name" TEXT NOT NULL,
    "author_email" TEXT NOT NULL,
    "authored_at" TEXT NOT NULL,
    "committer_name" TEXT NOT NULL,
    "committer_email" TEXT NOT NULL,
    "committed_at" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "branches" TEXT NOT NULL,
    "parents" TEXT NOT NULL,
    "files_changed" INTEGER NOT NULL,
    "additions" INTEGER NOT NULL,
    "deletions" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    CONSTRAINT "pk_commits" PRIMARY KEY ("id"),
    CONSTRAINT "fk_commits_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "repositories" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_commits_repository_id_sha" ON "commits" ("repository_id", "sha");

CREATE INDEX "ix_commits_repository_id_committed_at" ON "commits" ("repository_id", "committed_at");

CREATE TABLE "commit_tasks" (
    "commit_id" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    CONSTRAINT "pk_commit_tasks" PRIMARY KEY ("commit_id", "task_id"),
    CONSTRAINT "fk_commit_tasks_commits_commit_id" FOREIGN KEY ("commit_id") REFERENCES "commits" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_commit_tasks_tasks_task_id" FOREIGN KEY ("task_id") REFERENCES "tasks" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_commit_tasks_task_id" ON "commit_tasks" ("task_id");

CREATE TABLE "repository_branches" (
    "repository_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "head_sha" TEXT NOT NULL,
    "head_committed_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_repository_branches" PRIMARY KEY ("repository_id", "name"),
    CONSTRAINT "fk_repository_branches_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "repositories" ("id") ON DELETE CASCADE
);
