#!/usr/bin/env bash
# Dev Context messages' speed bar (issue 13), on its own: bench/run.sh --only messages runs this script. Builds in
# Release, starts a private durable PostgreSQL (the settings of bench/run.sh), then for each backend one
# Coditect.Server on a fresh database and bench/Coditect.Bench --scenario messages: 1,000,000 seeded, realistic
# messages (a Zipf vocabulary of 5,000 words, tool calls and results, 30 % repeating one of 2,000 common contents) in
# work sessions of 2,000 over four projects, imported through the API's batch append (1,000 a request, the transcript
# import's own path), then the search: a two-word query with one filter (project_id) at a fixed rate. PostgreSQL first,
# then the COPY baseline: the same rows (contents, their search vectors, then messages) COPY'd into the same
# tables for a second organization, in the same run; then SQLite (one file, WAL). Rewrites only the
# "## Dev Context messages" section of docs/benchmarks.md (appended when missing).
#
# Usage: bench/messages.sh [--quick] [--messages N] [--sqlite-messages N] [--rate R] [--duration S] [--warmup S]
#                          [--import-concurrency N] [--sqlite-concurrency N] [--backends postgres,sqlite] [--out FILE] [--keep]
#   --quick   20,000 messages, 5-second steps: checks that the script works; its numbers are not the benchmark.
#   --messages  the data set on PostgreSQL (1,000,000); --sqlite-messages on SQLite (the same unless given).
#   --rate    the search's fixed rate (20/s); --duration / --warmup: measured seconds (30) and warm-up (10).
#   --import-concurrency  append requests in flight at once on PostgreSQL (2); --sqlite-concurrency on SQLite (1: one writer).
# Traffic goes to 127.0.0.1 only; every process started here is stopped by its own pid.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }

mode=full; rate=20; duration=30; warmup=10; messages=1000000; sqlite_messages=""; session_messages=2000; duplicate_percent=30
concurrency=2; sqlite_concurrency=1; pg_p99_ms=50; sqlite_p99_ms=100; import_target=20000; backends="postgres,sqlite"
out="$root/docs/benchmarks.md"; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick; messages=20000; duration=5; warmup=2 ;;
    --messages) messages="$2"; shift ;;
    --sqlite-messages) sqlite_messages="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --import-concurrency) concurrency="$2"; shift ;;
    --sqlite-concurrency) sqlite_concurrency="$2"; shift ;;
    --backends) backends="$2"; shift ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$sqlite_messages" ] || sqlite_messages="$messages"

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u +%Y-%m-%dT%H:%MZ)"
work="$(mktemp -d /tmp/coditect-bench-msg.XXXXXX)"
chmod 755 "$work"
results="$work/results"; mkdir -p "$results" "$work/copy" "$work/sqlite"
chmod 755 "$work/copy"
. "$root/scripts/services.sh"
. "$root/bench/lib.sh"

cleanup() {
  stop_server
  services_stop
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building in Release ($mode run)"
cd "$root"
dotnet publish src/Coditect.Server -c Release -o "$work/server" -nologo -v quiet >"$work/build.log" 2>&1 \
  && dotnet publish bench/Coditect.Bench -c Release -o "$work/bench" -nologo -v quiet >>"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }

master_key="$(head -c 32 /dev/urandom | base64)" # generated per run, never written to the repository
# The default plan (no billing provider) is enterprise; its message and byte quotas are set empty (unlimited) here so
# that a changed default never refuses the load.
start_server() { # provider connection-string log
  local port; port="$(free_port)"
  (cd "$work/server" && exec env "Database__Provider=$1" "ConnectionStrings__Database=$2" \
    "Secrets__MasterKey=$master_key" RateLimits__ApiPerMinute=10000000 RateLimits__SignInPerMinute=1000000 \
    Plans__enterprise__api_requests_per_hour=1000000000 Plans__enterprise__messages= Plans__enterprise__message_bytes= \
    dotnet Coditect.Server.dll --urls "http://127.0.0.1:$port") >"$3" 2>&1 &
  server_pid=$!
  server_url="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    curl -fsS "$server_url/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.5
  done
  echo "the server did not become ready" >&2; cat "$3" >&2; exit 1
}

run_bench() { # backend messages concurrency p99 [extra flags...]
  local backend="$1" n="$2" c="$3" p99="$4"; shift 4
  log "messages on $backend: $n messages (${duplicate_percent} % common contents), $c request(s) at a time, then the search at $rate/s"
  dotnet "$work/bench/Coditect.Bench.dll" --url "$server_url" --pids "$server_pid" --backend "$backend" --scenario messages \
    --rate "$rate" --warmup "$warmup" --duration "$duration" --max-p99-ms "$p99" --messages "$n" --session-messages "$session_messages" \
    --duplicate-percent "$duplicate_percent" --import-concurrency "$c" --timeout 60 \
    --json "$results/$backend.json" --markdown "$results/rows.md" "$@" \
    >"$results/bench-$backend.out" 2>"$results/bench-$backend.log" || { cat "$results/bench-$backend.log" >&2; exit 1; }
  grep -E '^\[bench\]' "$results/bench-$backend.log" >&2 || true
}
json() { python3 -c "import json,sys; print(json.load(open('$results/$1.json'))[sys.argv[1]])" "$2"; }

: >"$results/rows.md"
copy_rate=""; copy_seconds=""; copy_contents=""; copy_messages=""
if [[ ",$backends," == *,postgres,* ]]; then
  pg_settings=(
    "listen_addresses=127.0.0.1" "max_connections=300" "shared_buffers=512MB" "effective_cache_size=2GB"
    "work_mem=8MB" "maintenance_work_mem=128MB" "wal_buffers=16MB" "max_wal_size=4GB" "checkpoint_timeout=30min"
    "checkpoint_completion_target=0.9" "random_page_cost=1.1" "fsync=on" "synchronous_commit=on" "full_page_writes=on"
  )
  pg_flags=()
  for s in "${pg_settings[@]}"; do pg_flags+=(-c "$s"); done
  services_start_postgres "$work" durable "${pg_flags[@]}" || exit 1
  psql_admin -d postgres -c "create role coditect login nosuperuser nobypassrls nocreatedb nocreaterole"
  psql_admin -d postgres -c "create database coditect owner coditect"
  start_server Postgres "Host=127.0.0.1;Port=$pg_port;Database=coditect;Username=coditect" "$results/server-postgres.log"
  run_bench postgres "$messages" "$concurrency" "$pg_p99_ms" --copy-dir "$work/copy"
  stop_server

  # The baseline: COPY of the same rows into the same tables (same indexes, same durable cluster), contents, their
  # search vectors (message_search) then messages, one transaction, as the superuser (PostgreSQL refuses COPY FROM into a
  # table whose row-level security binds the caller).
  copy_contents="$(json postgres copy_contents)"; copy_messages="$(json postgres copy_messages)"
  cat >"$work/copy.sql" <<EOF
BEGIN;
\\copy message_contents (id, tenant_id, hash, blocks, bytes, created_at) from '$work/copy/contents.csv' with (format csv)
\\copy message_search (content_id, search) from '$work/copy/search.csv' with (format csv)
\\copy messages (id, tenant_id, work_session_id, conversation_id, position, role, created_at, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, external_id, parent_id, content_id) from '$work/copy/messages.csv' with (format csv)
COMMIT;
EOF
  copy_start="$(date +%s.%N)"
  psql_admin -d coditect -f "$work/copy.sql"
  copy_end="$(date +%s.%N)"
  copy_rate="$(awk -v n="$copy_messages" -v a="$copy_start" -v b="$copy_end" 'BEGIN { printf "%.0f", n / (b - a) }')"
  copy_seconds="$(awk -v a="$copy_start" -v b="$copy_end" 'BEGIN { printf "%.1f", b - a }')"
  log "messages: COPY of $copy_contents contents and $copy_messages messages in $copy_seconds s = $copy_rate messages/s"
  rm -f "$work/copy/"*.csv
  services_stop
fi

if [[ ",$backends," == *,sqlite,* ]]; then
  start_server Sqlite "Data Source=$work/sqlite/coditect.db" "$results/server-sqlite.log"
  run_bench sqlite "$sqlite_messages" "$sqlite_concurrency" "$sqlite_p99_ms"
  stop_server
fi

import_row() { # backend label
  printf '| %s | %s | %s | %s | %s | %s | %s / %s |\n' "$1" "$2" "$(json "$1" received)" "$(printf '%.1f' "$(json "$1" seconds)")" \
    "$(printf '%.0f' "$(json "$1" received_per_second)")" "$(json "$1" concurrency)" \
    "$(printf '%.0f' "$(json "$1" batch_p50_ms)")" "$(printf '%.0f' "$(json "$1" batch_p95_ms)")"
}
pg_rate=""; ratio="n/a"; import_verdict="not run"; copy_note_verdict=""
if [ -f "$results/postgres.json" ]; then
  pg_rate="$(printf '%.0f' "$(json postgres inserted_per_second)")"
  ratio="$(awk -v a="$pg_rate" -v b="$copy_rate" 'BEGIN { printf "%.0f %%", 100 * a / b }')"
  import_verdict="$(awk -v r="$pg_rate" -v t="$import_target" 'BEGIN { print (r >= t ? "pass" : "**FAIL**") }')"
  # When COPY itself stays below the target, no import through the server can reach it on this machine: say so.
  copy_note_verdict="$(awk -v c="$copy_rate" -v t="$import_target" 'BEGIN { if (c != "" && c < t) printf "; COPY of the same rows did %d/s, below the %d/s target itself on this machine", c, t }')"
fi
import_rows() {
  if [ -f "$results/postgres.json" ]; then
    import_row postgres "append with de-duplication (HTTP, JSON, batches of 1,000)"
    echo "| postgres | \`COPY message_contents\`, \`message_search\` then \`messages\` (psql \\copy, CSV, one transaction) of the same rows | $copy_messages | $copy_seconds | $copy_rate | 1 | |"
    echo "| postgres | **ratio**: append rate ÷ COPY rate | | | **$ratio** | | |"
  fi
  if [ -f "$results/sqlite.json" ]; then
    import_row sqlite "append with de-duplication (HTTP, JSON, batches of 1,000)"
  fi
}
data_lines() {
  local b
  for b in postgres sqlite; do
    if [ -f "$results/$b.json" ]; then echo "| data ($b) | $(json "$b" data) |"; fi
  done
}
query_lines() {
  local b
  for b in postgres sqlite; do
    if [ -f "$results/$b.json" ]; then printf '%s: %s.\n\n' "$b" "$(json "$b" queries)"; fi
  done
}
copy_note() {
  [ -n "$copy_rate" ] || return 0
  cat <<EOT
The COPY ran after the PostgreSQL import and search, into the same \`message_contents\` and \`message_search\` ($copy_contents rows
each: the distinct contents, and the search vectors the server computes, GIN index included) and \`messages\` ($copy_messages
rows, all six indexes) tables, ~$copy_messages messages already there, for a second organization's work sessions (a
content is unique per organization and hash), as the superuser (PostgreSQL refuses \`COPY FROM\` into a table whose
row-level security binds the caller), in one transaction. It writes rows only: no hashing, no JSON, no look-ups of
known contents or external ids, no positions, no counters, no outbox event.
EOT
}
failing="$(awk -F' [|] ' '$NF ~ /FAIL/ { sub(/^[|] /, "", $1); printf "%s%s %s", (n++ ? "; " : ""), $1, $2 }' "$results/rows.md")"
command="bench/run.sh --only messages$([ "$mode" = quick ] && echo " --quick" || true)"
quick_note=""
[ "$mode" = quick ] && quick_note="> **A \`--quick\` run**: $messages messages and ${duration}-second steps. It checks that the scenario works; its numbers are not the benchmark."$'\n\n'

{
  cat <<EOF
## Dev Context messages

Written by \`$command\` (or \`bench/messages.sh\`) on $started_at; the rest of this file is not rewritten by it.
Issue 13: import with de-duplication into PostgreSQL ≥ 20,000 messages/s, reported as a ratio to \`COPY\` of the same
rows in the same run, the SQLite figure beside it; search over 1,000,000 messages, a two-word query with one filter,
p99 ≤ ${pg_p99_ms} ms on PostgreSQL and ≤ ${sqlite_p99_ms} ms on SQLite.

${quick_note}**Verdict**: import on PostgreSQL $import_verdict (${pg_rate:-?} messages/s, $ratio of COPY${copy_note_verdict}); $(if [ -z "$failing" ]; then
    echo "the search answered with zero errors and p99 within its bound on every backend run."
  else
    echo "search **not met** by: $failing."
  fi)
$(awk -v n="$(nproc)" -v a="${load_at_start%% *}" -v b="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  if (a > n || b > n) printf "\n> **The machine was busy**: the load average was %s at the start and %s at the end, on %d cores (other builds\n> and tests shared the CPU). The server, the database and the load generator got a fraction of the machine: these figures\n> are what this box gave under that load, not what the work costs on an idle machine.\n", a, b, n }')

| | |
| --- | --- |
| machine | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) |
| load average (1, 5, 15 min) at start / end | $load_at_start / $(cut -d' ' -f1-3 /proc/loadavg) |
| commit | $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo " (with uncommitted changes)") |
| command | \`$command\` (options: \`bench/messages.sh --help\`) |
$(data_lines)

**Import** (one server process per backend on a fresh database; PostgreSQL durable as in [Settings](#settings), the
server's role without BYPASSRLS; SQLite one file in WAL mode): work sessions of $session_messages messages (made through
the API before the clock starts), their messages in requests of 1,000 to \`POST /api/v1/orgs/{org}/work-sessions/{id}/messages\`,
round-robin over the work sessions. Every message is new (its own \`external_id\`, the previous one as
\`parent_external_id\`); ${duplicate_percent} % repeat one of 2,000 common contents (a short answer, a build result), so the
server hashes every content, looks the batch's hashes up and stores and indexes only the new ones. The rate is messages
in requests ÷ the wall clock from the first request to the last answer (the bodies serialized before). Plans:
\`Plans__enterprise__messages\` and \`Plans__enterprise__message_bytes\` empty (unlimited: no quota count per batch).

| backend | measured | messages | seconds | messages/s | requests at a time | per request p50 / p95 ms |
| --- | --- | --: | --: | --: | --: | --- |
$(import_rows)

$(copy_note)

**Search**, at a fixed arrival rate of $rate/s (open model, latency from the intended start; ${warmup} s warm-up,
${duration} s measured), after the import, on the organization's messages: \`GET /api/v1/orgs/{org}/messages/search?q=WORD1 WORD2&project_id={id}\`
(both words must appear; default page of 50, ranked, with snippets), 16 word pairs in turn, each with one of the four
projects (a quarter of the messages). The words are real words of ranks 25 to 145 and 80 to 260 in the Zipf
vocabulary; per query, the messages that match with the filter, of all that match (counted by the generator):
$(query_lines)
A run passes with zero errors and p99 within the backend's bound (upper bounds of the histogram's buckets).

| backend | measurement | offered rate (/s) | ok | p50 ms | p95 ms | p99 ms | max ms | errors | p99 within the bound, zero errors |
| --- | --- | --: | --: | --: | --: | --: | --: | --- | --- |
$(cat "$results/rows.md")

EOF
} >"$results/section.md"

replace_section "## Dev Context messages" "$results/section.md" "$out"
log "messages: wrote the ## Dev Context messages section of $out"
