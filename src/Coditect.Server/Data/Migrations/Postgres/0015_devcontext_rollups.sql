-- 0015: Dev Context roll-ups for the statistics (issue 12's speed bar). Commit sync keeps, in the transaction that
-- inserts the commits and from the rows it actually inserted (a re-sent SHA counts once), per repository: commits per
-- ISO week (Monday, UTC) and per author e-mail (count, first and last commit time). A project's statistics read these
-- instead of aggregating its commits. Task indexes: a board column's first page (project, status, by number) and the statistics' last activity and
-- overdue count.
CREATE TABLE commit_weeks (
    repository_id uuid NOT NULL,
    week_start date NOT NULL,
    tenant_id uuid NOT NULL,
    commits bigint NOT NULL,
    CONSTRAINT pk_commit_weeks PRIMARY KEY (repository_id, week_start),
    CONSTRAINT fk_commit_weeks_repositories_repository_id FOREIGN KEY (repository_id) REFERENCES repositories (id) ON DELETE CASCADE
);

CREATE TABLE commit_authors (
    repository_id uuid NOT NULL,
    email character varying(320) NOT NULL,
    tenant_id uuid NOT NULL,
    commits bigint NOT NULL,
    first_commit_at timestamp with time zone NOT NULL,
    last_commit_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_commit_authors PRIMARY KEY (repository_id, email),
    CONSTRAINT fk_commit_authors_repositories_repository_id FOREIGN KEY (repository_id) REFERENCES repositories (id) ON DELETE CASCADE
);

DROP INDEX ix_tasks_project_id_status;
CREATE INDEX ix_tasks_project_id_status_number ON tasks (project_id, status, number);
CREATE INDEX ix_tasks_project_id_updated_at ON tasks (project_id, updated_at);
CREATE INDEX ix_tasks_project_id_due_date ON tasks (project_id, due_date);

-- The commits already recorded, every organization's (the policies let the system through).
SELECT set_config('app.system', 'on', true);
INSERT INTO commit_weeks (repository_id, week_start, tenant_id, commits)
SELECT repository_id, date_trunc('week', committed_at AT TIME ZONE 'UTC')::date, min(tenant_id::text)::uuid, count(*)
FROM commits GROUP BY 1, 2;
INSERT INTO commit_authors (repository_id, email, tenant_id, commits, first_commit_at, last_commit_at)
SELECT repository_id, author_email, min(tenant_id::text)::uuid, count(*), min(committed_at), max(committed_at)
FROM commits GROUP BY 1, 2;
SELECT set_config('app.system', '', true);

SELECT app_enable_tenant_rls('commit_weeks');
SELECT app_enable_tenant_rls('commit_authors');
