-- 0025: the message search index learns each content's organization (issue 13). message_search holds every
-- organization's vectors, so a common word matched every organization's contents, and each match cost a look-up in
-- `messages` before the organization's filter dropped it: a search slowed with the number of tenants. Each vector now
-- carries one lexeme more, `@<organization id>` (no query word can be one: a word's tokens are letters and digits), and
-- a search ANDs it in, so the GIN index returns the organization's matches only. The messages' content index covers the
-- columns a search filters and sorts by, so the matches reach them without reading the table.
SELECT set_config('app.system', 'on', true);
DROP INDEX ix_message_search_search;
UPDATE message_search x SET search = x.search || array_to_tsvector(ARRAY['@' || c.tenant_id::text])
FROM message_contents c WHERE c.id = x.content_id;
SELECT set_config('app.system', '', true);
CREATE INDEX ix_message_search_search ON message_search USING gin (search);

CREATE INDEX ix_messages_content_id_covering ON messages (content_id) INCLUDE (tenant_id, work_session_id, created_at, id);
DROP INDEX ix_messages_content_id;
ALTER INDEX ix_messages_content_id_covering RENAME TO ix_messages_content_id;
