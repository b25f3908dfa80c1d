-- 0026: the message search index learns the projects each content appears in (issue 13). A search filtered by project
-- matched the organization's contents and dropped three in four of them after a look-up in `messages` each (four
-- projects). Each vector now carries `#<project id>` for every project whose work sessions use the content (no query
-- word can be one: a word's tokens are letters and digits); the server adds it when a batch of messages brings a content
-- into a project, and a search with project_id ANDs it in instead of the organization's lexeme. The project filter on the
-- messages still decides: a lexeme only narrows what the index returns, so one left behind is harmless.
SELECT set_config('app.system', 'on', true);
DROP INDEX ix_message_search_search;
UPDATE message_search x SET search = x.search || p.lexemes
FROM (SELECT m.content_id, array_to_tsvector(array_agg(DISTINCT '#' || s.project_id::text)) AS lexemes
      FROM messages m JOIN work_sessions s ON s.id = m.work_session_id
      WHERE s.project_id IS NOT NULL
      GROUP BY m.content_id) p
WHERE p.content_id = x.content_id;
SELECT set_config('app.system', '', true);
CREATE INDEX ix_message_search_search ON message_search USING gin (search);
