-- 0009: Dev Context, part 1 (PostgreSQL): teams, projects and their keys, plan versions, task lists, tasks with
-- dependencies, repositories, commits, the tasks a commit names and each branch's newest known commit.
-- Every table is a tenant table under row-level security (app_enable_tenant_rls). Child rows go with their parent
-- (ON DELETE CASCADE); an organization's deletion reaches them through teams, projects and repositories.
CREATE TABLE teams (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name character varying(200) NOT NULL,
    slug character varying(63) NOT NULL,
    description text,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_teams PRIMARY KEY (id),
    CONSTRAINT fk_teams_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ix_teams_tenant_id_slug ON teams (tenant_id, slug);

CREATE TABLE team_members (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    team_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_team_members PRIMARY KEY (id),
    CONSTRAINT fk_team_members_teams_team_id FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE,
    CONSTRAINT fk_team_members_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ix_team_members_team_id_user_id ON team_members (team_id, user_id);

CREATE INDEX ix_team_members_user_id ON team_members (user_id);

-- next_task_number is the per-project counter: UPDATE ... RETURNING takes the row lock, so parallel creates never
-- share a number, and a deleted task's number is never given out again.
CREATE TABLE projects (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name character varying(200) NOT NULL,
    slug character varying(63) NOT NULL,
    key character varying(10) NOT NULL,
    description text,
    status character varying(16) NOT NULL,
    team_id uuid,
    created_by uuid,
    next_task_number integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_projects PRIMARY KEY (id),
    CONSTRAINT fk_projects_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_projects_teams_team_id FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX ix_projects_tenant_id_slug ON projects (tenant_id, slug);

CREATE INDEX ix_projects_team_id ON projects (team_id);

-- A project's current key and every key it had: a reference made with an old key still resolves.
CREATE TABLE project_keys (
    tenant_id uuid NOT NULL,
    key character varying(10) NOT NULL,
    project_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_project_keys PRIMARY KEY (tenant_id, key),
    CONSTRAINT fk_project_keys_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE INDEX ix_project_keys_project_id ON project_keys (project_id);

CREATE TABLE plan_versions (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    project_id uuid NOT NULL,
    version integer NOT NULL,
    content text NOT NULL,
    content_bytes integer NOT NULL,
    summary character varying(500),
    author_id uuid,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_plan_versions PRIMARY KEY (id),
    CONSTRAINT fk_plan_versions_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ix_plan_versions_project_id_version ON plan_versions (project_id, version);

CREATE TABLE task_lists (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    project_id uuid NOT NULL,
    title character varying(200) NOT NULL,
    position integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_task_lists PRIMARY KEY (id),
    CONSTRAINT fk_task_lists_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);

CREATE INDEX ix_task_lists_project_id_position ON task_lists (project_id, position);

CREATE TABLE tasks (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    project_id uuid NOT NULL,
    task_list_id uuid NOT NULL,
    parent_id uuid,
    number integer NOT NULL,
    title character varying(500) NOT NULL,
    description text,
    status character varying(16) NOT NULL,
    assignee_id uuid,
    priority integer NOT NULL,
    due_date date,
    estimate_hours double precision,
    labels text NOT NULL,
    position integer NOT NULL,
    completed_at timestamp with time zone,
    created_by uuid,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_tasks PRIMARY KEY (id),
    CONSTRAINT fk_tasks_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_tasks_task_lists_task_list_id FOREIGN KEY (task_list_id) REFERENCES task_lists (id) ON DELETE CASCADE,
    CONSTRAINT fk_tasks_tasks_parent_id FOREIGN KEY (parent_id) REFERENCES tasks (id) ON DELETE CASCADE,
    CONSTRAINT fk_tasks_users_assignee_id FOREIGN KEY (assignee_id) REFERENCES users (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX ix_tasks_project_id_number ON tasks (project_id, number);

CREATE INDEX ix_tasks_task_list_id_position ON tasks (task_list_id, position);

CREATE INDEX ix_tasks_parent_id ON tasks (parent_id);

CREATE INDEX ix_tasks_assignee_id ON tasks (assignee_id);

CREATE INDEX ix_tasks_project_id_status ON tasks (project_id, status);

CREATE TABLE task_dependencies (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    task_id uuid NOT NULL,
    depends_on_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_task_dependencies PRIMARY KEY (id),
    CONSTRAINT fk_task_dependencies_tasks_task_id FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
    CONSTRAINT fk_task_dependencies_tasks_depends_on_id FOREIGN KEY (depends_on_id) REFERENCES tasks (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ix_task_dependencies_task_id_depends_on_id ON task_dependencies (task_id, depends_on_id);

CREATE INDEX ix_task_dependencies_depends_on_id ON task_dependencies (depends_on_id);

CREATE TABLE repositories (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name character varying(200) NOT NULL,
    provider character varying(16) NOT NULL,
    clone_url character varying(2000),
    default_branch character varying(255) NOT NULL,
    project_id uuid,
    commit_count bigint NOT NULL,
    last_commit_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_repositories PRIMARY KEY (id),
    CONSTRAINT fk_repositories_organizations_tenant_id FOREIGN KEY (tenant_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_repositories_projects_project_id FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE SET NULL
);

CREATE UNIQUE INDEX ix_repositories_tenant_id_name ON repositories (tenant_id, name);

CREATE INDEX ix_repositories_project_id ON repositories (project_id);

CREATE TABLE commits (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    repository_id uuid NOT NULL,
    sha character varying(64) NOT NULL,
    author_name character varying(256) NOT NULL,
    author_email character varying(320) NOT NULL,
    authored_at timestamp with time zone NOT NULL,
    committer_name character varying(256) NOT NULL,
    committer_email character varying(320) NOT NULL,
    committed_at timestamp with time zone NOT NULL,
    message text NOT NULL,
    branches text NOT NULL,
    parents text NOT NULL,
    files_changed integer NOT NULL,
    additions integer NOT NULL,
    deletions integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_commits PRIMARY KEY (id),
    CONSTRAINT fk_commits_repositories_repository_id FOREIGN KEY (repository_id) REFERENCES repositories (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX ix_commits_repository_id_sha ON commits (repository_id, sha);

CREATE INDEX ix_commits_repository_id_committed_at ON commits (repository_id, committed_at);

CREATE TABLE commit_tasks (
    commit_id uuid NOT NULL,
    task_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    CONSTRAINT pk_commit_tasks PRIMARY KEY (commit_id, task_id),
    CONSTRAINT fk_commit_tasks_commits_commit_id FOREIGN KEY (commit_id) REFERENCES commits (id) ON DELETE CASCADE,
    CONSTRAINT fk_commit_tasks_tasks_task_id FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE
);

CREATE INDEX ix_commit_tasks_task_id ON commit_tasks (task_id);

CREATE TABLE repository_branches (
    repository_id uuid NOT NULL,
    name character varying(255) NOT NULL,
    tenant_id uuid NOT NULL,
    head_sha character varying(64) NOT NULL,
    head_committed_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_repository_branches PRIMARY KEY (repository_id, name),
    CONSTRAINT fk_repository_branches_repositories_repository_id FOREIGN KEY (repository_id) REFERENCES repositories (id) ON DELETE CASCADE
);

SELECT app_enable_tenant_rls('teams');
SELECT app_enable_tenant_rls('team_members');
SELECT app_enable_tenant_rls('projects');
SELECT app_enable_tenant_rls('project_keys');
SELECT app_enable_tenant_rls('plan_versions');
SELECT app_enable_tenant_rls('task_lists');
SELECT app_enable_tenant_rls('tasks');
SELECT app_enable_tenant_rls('task_dependencies');
SELECT app_enable_tenant_rls('repositories');
SELECT app_enable_tenant_rls('commits');
SELECT app_enable_tenant_rls('commit_tasks');
SELECT app_enable_tenant_rls('repository_branches');
