-- 0011: Dev Context, part 2 (SQLite): the tables of the PostgreSQL script, same names, columns, keys and indexes.
-- message_contents.id is the rowid (INTEGER PRIMARY KEY), which is also the FTS5 row of message_search: three
-- columns (text blocks, thinking, tool calls and results) of the normalized text the message log writes.
CREATE TABLE "work_sessions" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NULL,
    "project_id" TEXT NULL,
    "repository_id" TEXT NULL,
    "branch" TEXT NULL,
    "tool" TEXT NOT NULL,
    "model" TEXT NULL,
    "working_directory" TEXT NULL,
    "title" TEXT NULL,
    "started_at" TEXT NOT NULL,
    "ended_at" TEXT NULL,
    "tags" TEXT NOT NULL,
    "external_id" TEXT NULL,
    "message_count" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_work_sessions" PRIMARY KEY ("id"),
    CONSTRAINT "fk_work_sessions_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_work_sessions_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE SET NULL,
    CONSTRAINT "fk_work_sessions_projects_project_id" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE SET NULL,
    CONSTRAINT "fk_work_sessions_repositories_repository_id" FOREIGN KEY ("repository_id") REFERENCES "repositories" ("id") ON DELETE SET NULL
);

CREATE UNIQUE INDEX "ix_work_sessions_tenant_id_tool_external_id" ON "work_sessions" ("tenant_id", "tool", "external_id");

CREATE INDEX "ix_work_sessions_tenant_id_started_at" ON "work_sessions" ("tenant_id", "started_at");

CREATE INDEX "ix_work_sessions_project_id" ON "work_sessions" ("project_id");

CREATE INDEX "ix_work_sessions_user_id" ON "work_sessions" ("user_id");

CREATE INDEX "ix_work_sessions_repository_id" ON "work_sessions" ("repository_id");

CREATE TABLE "conversations" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "work_session_id" TEXT NOT NULL,
    "parent_id" TEXT NULL,
    "title" TEXT NULL,
    "summary" TEXT NULL,
    "external_id" TEXT NULL,
    "message_count" INTEGER NOT NULL,
    "next_position" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    CONSTRAINT "pk_conversations" PRIMARY KEY ("id"),
    CONSTRAINT "fk_conversations_work_sessions_work_session_id" FOREIGN KEY ("work_session_id") REFERENCES "work_sessions" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_conversations_conversations_parent_id" FOREIGN KEY ("parent_id") REFERENCES "conversations" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_conversations_work_session_id_external_id" ON "conversations" ("work_session_id", "external_id");

CREATE INDEX "ix_conversations_parent_id" ON "conversations" ("parent_id");

CREATE TABLE "message_contents" (
    "id" INTEGER NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "blocks" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL,
    CONSTRAINT "pk_message_contents" PRIMARY KEY ("id" AUTOINCREMENT),
    CONSTRAINT "fk_message_contents_organizations_tenant_id" FOREIGN KEY ("tenant_id") REFERENCES "organizations" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "ix_message_contents_tenant_id_hash" ON "message_contents" ("tenant_id", "hash");

CREATE VIRTUAL TABLE "message_search" USING fts5("body", "thinking", "tools", tokenize = 'unicode61 remove_diacritics 2');

-- A content's index row goes with it, however it is deleted (a work session's delete, or its organization's).
CREATE TRIGGER "message_contents_unindex" AFTER DELETE ON "message_contents" BEGIN
    DELETE FROM "message_search" WHERE rowid = old."id";
END;

CREATE TABLE "messages" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "work_session_id" TEXT NOT NULL,
    "conversation_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "model" TEXT NULL,
    "input_tokens" INTEGER NOT NULL,
    "output_tokens" INTEGER NOT NULL,
    "cache_read_tokens" INTEGER NOT NULL,
    "cache_write_tokens" INTEGER NOT NULL,
    "external_id" TEXT NULL,
    "parent_id" TEXT NULL,
    "content_id" INTEGER NOT NULL,
    CONSTRAINT "pk_messages" PRIMARY KEY ("id"),
    CONSTRAINT "fk_messages_work_sessions_work_session_id" FOREIGN KEY ("work_session_id") REFERENCES "work_sessions" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_messages_conversations_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_messages_messages_parent_id" FOREIGN KEY ("parent_id") REFERENCES "messages" ("id") ON DELETE SET NULL,
    CONSTRAINT "fk_messages_message_contents_content_id" FOREIGN KEY ("content_id") REFERENCES "message_contents" ("id")
);

CREATE UNIQUE INDEX "ix_messages_conversation_id_position" ON "messages" ("conversation_id", "position");

CREATE UNIQUE INDEX "ix_messages_conversation_id_external_id" ON "messages" ("conversation_id", "external_id");

CREATE INDEX "ix_messages_work_session_id_created_at" ON "messages" ("work_session_id", "created_at");

CREATE INDEX "ix_messages_tenant_id_created_at" ON "messages" ("tenant_id", "created_at");

CREATE INDEX "ix_messages_content_id" ON "messages" ("content_id");

CREATE INDEX "ix_messages_parent_id" ON "messages" ("parent_id");
