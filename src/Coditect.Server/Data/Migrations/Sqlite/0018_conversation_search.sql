-- 0018: conversation titles are searchable (issue 13). `title_search` is the title's normalized tokens, written by
-- the application with the message search's tokenizer (SearchText.Normalize) whenever the title is set; triggers
-- keep the FTS5 index `conversation_search` in step with it, however a conversation is written or deleted (a work
-- session's delete and an organization's cascade to it). The index row is keyed by the conversation's id (an
-- UNINDEXED column: a conversation's implicit rowid may change on VACUUM).
ALTER TABLE "conversations" ADD COLUMN "title_search" TEXT NULL;

-- Titles already stored: FTS5's unicode61 tokenizer splits them as SearchText does.
UPDATE "conversations" SET "title_search" = "title" WHERE "title" IS NOT NULL;

CREATE VIRTUAL TABLE "conversation_search" USING fts5("conversation_id" UNINDEXED, "title", tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO "conversation_search" ("conversation_id", "title")
SELECT "id", "title_search" FROM "conversations" WHERE "title_search" IS NOT NULL AND "title_search" <> '';

CREATE TRIGGER "conversations_index_title" AFTER INSERT ON "conversations"
WHEN new."title_search" IS NOT NULL AND new."title_search" <> '' BEGIN
    INSERT INTO "conversation_search" ("conversation_id", "title") VALUES (new."id", new."title_search");
END;

CREATE TRIGGER "conversations_reindex_title" AFTER UPDATE OF "title_search" ON "conversations"
WHEN new."title_search" IS NOT old."title_search" BEGIN
    DELETE FROM "conversation_search" WHERE "conversation_id" = old."id";
    INSERT INTO "conversation_search" ("conversation_id", "title")
    SELECT new."id", new."title_search" WHERE new."title_search" IS NOT NULL AND new."title_search" <> '';
END;

CREATE TRIGGER "conversations_unindex_title" AFTER DELETE ON "conversations"
WHEN old."title_search" IS NOT NULL AND old."title_search" <> '' BEGIN
    DELETE FROM "conversation_search" WHERE "conversation_id" = old."id";
END;
