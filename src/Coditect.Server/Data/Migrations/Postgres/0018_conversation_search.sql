-- 0018: conversation titles are searchable (issue 13). `title_search` is the title's normalized tokens, written by
-- the application with the message search's tokenizer (SearchText.Normalize) whenever the title is set; the vector
-- beside it is generated from those tokens with weight A (text), so a query's weights always include it, and a GIN
-- index serves the match. conversations stays under forced row-level security (0011).
ALTER TABLE conversations ADD COLUMN title_search text;

-- Titles already stored: letters and digits, lower-cased (the tokenizer also folds diacritics; a title set again
-- after this migration is folded too).
SELECT set_config('app.system', 'on', true);
UPDATE conversations SET title_search = btrim(regexp_replace(lower(title), '[^[:alnum:]]+', ' ', 'g')) WHERE title IS NOT NULL;
SELECT set_config('app.system', '', true);

ALTER TABLE conversations ADD COLUMN title_vector tsvector
    GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, coalesce(title_search, '')), 'A')) STORED;

CREATE INDEX ix_conversations_title_vector ON conversations USING gin (title_vector);
