-- The machine's limit for one hot licence: one durable UPDATE of the licence row a transaction, nothing else under its
-- lock, sent as the server's batches are (one pipelined round trip, after the same two set_config statements that prove
-- the key for row-level security). What an acquire on one licence could reach if it held the licence lock no longer
-- than this. Set by run.sh with -D: kh_base (the hot licence is :kh_base + 1).
\set kh :kh_base + 1
\startpipeline
SELECT set_config('app.license_key_hash', :kh, true);
SELECT set_config('app.tenant_id', coalesce((SELECT tenant_id::text FROM licenses WHERE key_hash = :kh), ''), true);
UPDATE licenses SET seats_held = seats_held WHERE key_hash = :kh;
\endpipeline
