-- 0024: the message search index moves out of row-level security (issue 13). `@@` is not a leakproof operator, so
-- PostgreSQL never uses an index for it on a table under a policy (the match must wait until the policy has been
-- applied to every row): the GIN index on message_contents.search served superusers only, and the server's search
-- read every content of the organization (seconds at 1,000,000 messages; bench/messages.sh). `message_search` holds
-- one row per content (the vector, weights A text, B thinking, C tools) and no tenant_id, like SQLite's FTS5 index of
-- the same name: its rows are only reached through `messages`, which row-level security and the query's own
-- organization filter both bind, so another organization's matches are dropped before anything is read from them.
CREATE TABLE message_search (
    content_id bigint NOT NULL,
    search tsvector NOT NULL,
    CONSTRAINT pk_message_search PRIMARY KEY (content_id),
    CONSTRAINT fk_message_search_message_contents_content_id FOREIGN KEY (content_id) REFERENCES message_contents (id) ON DELETE CASCADE
);

-- Every content already stored keeps its vector (read as the system: message_contents is under forced row-level security).
SELECT set_config('app.system', 'on', true);
INSERT INTO message_search (content_id, search) SELECT id, search FROM message_contents;
SELECT set_config('app.system', '', true);

CREATE INDEX ix_message_search_search ON message_search USING gin (search);

DROP INDEX ix_message_contents_search;
ALTER TABLE message_contents DROP COLUMN search;
