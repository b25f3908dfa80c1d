#!/usr/bin/env bash
# Dev Context's speed bar (issue 12), on its own: bench/run.sh --only devcontext runs this script. Builds in Release,
# starts a private durable PostgreSQL (the settings of bench/run.sh) and one Coditect.Server on a fresh database, then
# bench/Coditect.Bench --scenario devcontext: a project with 10,000 tasks (one markdown import) and 100,000 commits
# through commit sync (batches of 1,000, 30 % of each batch already sent), then the project's statistics, the board's
# API call and the console's board page at a fixed rate. The COPY baseline: the same 100,000 distinct rows, COPY'd
# into the same commits table (same indexes) for another repository of the organization, in the same run.
# Rewrites only the "## Dev Context" section of docs/benchmarks.md (appended when missing).
#
# Usage: bench/devcontext.sh [--quick] [--rate R] [--duration S] [--warmup S] [--tasks N] [--commits N]
#                            [--sync-concurrency N] [--out FILE] [--keep]
#   --quick   1,000 tasks, 10,000 commits, 5-second steps: checks that the script works; its numbers are not the benchmark.
#   --rate    the fixed rate of each read (20/s); --duration / --warmup: measured seconds (30) and warm-up (10) per read.
#   --sync-concurrency  commit sync requests in flight at once (1, as `coditect repo sync` sends them).
# Traffic goes to 127.0.0.1 only; every process started here is stopped by its own pid.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }

mode=full; rate=20; duration=30; warmup=10; tasks=10000; commits=100000; duplicate_percent=30; sync_concurrency=1; p95_ms=50
out="$root/docs/benchmarks.md"; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick; tasks=1000; commits=10000; duration=5; warmup=2 ;;
    --rate) rate="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --tasks) tasks="$2"; shift ;;
    --commits) commits="$2"; shift ;;
    --sync-concurrency) sync_concurrency="$2"; shift ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u +%Y-%m-%dT%H:%MZ)"
work="$(mktemp -d /tmp/coditect-bench-dc.XXXXXX)"
chmod 755 "$work"
results="$work/results"; mkdir -p "$results"
. "$root/scripts/services.sh"
. "$root/bench/lib.sh"

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
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

# The PostgreSQL of bench/run.sh: durable (fsync, synchronous_commit and full_page_writes on), sized for 2 cores.
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

port="$(free_port)"
master_key="$(head -c 32 /dev/urandom | base64)" # generated per run, never written to the repository
(cd "$work/server" && exec env Database__Provider=Postgres \
  "ConnectionStrings__Database=Host=127.0.0.1;Port=$pg_port;Database=coditect;Username=coditect" \
  "Secrets__MasterKey=$master_key" RateLimits__ApiPerMinute=10000000 RateLimits__SignInPerMinute=1000000 \
  Plans__enterprise__api_requests_per_hour=1000000000 \
  dotnet Coditect.Server.dll --urls "http://127.0.0.1:$port") >"$results/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$results/server.log" >&2; exit 1; }
  sleep 0.5
done

log "devcontext: $tasks tasks, $commits commits (${duplicate_percent} % re-sent), then reads at $rate/s"
: >"$results/rows.md"
dotnet "$work/bench/Coditect.Bench.dll" --url "http://127.0.0.1:$port" --pids "$server_pid" --backend postgres --scenario devcontext \
  --rate "$rate" --warmup "$warmup" --duration "$duration" --max-p95-ms "$p95_ms" --tasks "$tasks" --commits "$commits" \
  --duplicate-percent "$duplicate_percent" --sync-concurrency "$sync_concurrency" --timeout 30 \
  --copy-csv "$work/copy.csv" --json "$results/devcontext.json" --markdown "$results/rows.md" \
  >"$results/bench.out" 2>"$results/bench.log" || { cat "$results/bench.log" >&2; exit 1; }
grep -E '^\[bench\]' "$results/bench.log" >&2 || true

# The baseline: COPY of the same distinct rows into the same table (same indexes, same durable cluster), one statement.
# As the superuser: PostgreSQL refuses COPY FROM into a table whose row-level security binds the caller.
json() { python3 -c "import json,sys; print(json.load(open('$results/devcontext.json'))[sys.argv[1]])" "$1"; }
copy_rows="$(json copy_rows)" # messages span lines: count the rows the generator wrote, not the lines
copy_start="$(date +%s.%N)"
psql_admin -d coditect -c "\\copy commits (id, tenant_id, repository_id, sha, author_name, author_email, authored_at, committer_name, committer_email, committed_at, message, branches, parents, files_changed, additions, deletions, created_at) from '$work/copy.csv' with (format csv)"
copy_end="$(date +%s.%N)"
copy_rate="$(awk -v n="$copy_rows" -v a="$copy_start" -v b="$copy_end" 'BEGIN { printf "%.0f", n / (b - a) }')"
copy_seconds="$(awk -v a="$copy_start" -v b="$copy_end" 'BEGIN { printf "%.1f", b - a }')"
log "devcontext: COPY of $copy_rows rows in $copy_seconds s = $copy_rate rows/s"

received_rate="$(printf '%.0f' "$(json received_per_second)")"
inserted_rate="$(printf '%.0f' "$(json inserted_per_second)")"
ratio="$(awk -v a="$inserted_rate" -v b="$copy_rate" 'BEGIN { printf "%.0f %%", 100 * a / b }')"
sync_verdict="$(awk -v r="$received_rate" 'BEGIN { print (r >= 5000 ? "pass" : "**FAIL**") }')"
failing="$(awk -F' [|] ' '$NF ~ /FAIL/ { printf "%s%s", (n++ ? "; " : ""), $2 }' "$results/rows.md")"
command="bench/run.sh --only devcontext$([ "$mode" = quick ] && echo " --quick" || true)"
quick_note=""
[ "$mode" = quick ] && quick_note="> **A \`--quick\` run**: $tasks tasks, $commits commits and ${duration}-second steps. It checks that the scenario works; its numbers are not the benchmark."$'\n\n'

{
  cat <<EOF
## Dev Context

Written by \`$command\` (or \`bench/devcontext.sh\`) on $started_at; the rest of this file is not rewritten by it.
Issue 12: commit sync into PostgreSQL ≥ 5,000 commits/s, reported as a ratio to \`COPY\` of the same rows; for a
project with 10,000 tasks and 100,000 commits, its statistics and its board's first page in p95 ≤ ${p95_ms} ms.

${quick_note}**Verdict**: commit sync $sync_verdict ($received_rate commits/s received); $(if [ -z "$failing" ]; then
    echo "statistics, the board's API call and the board page all answered with zero errors and p95 ≤ ${p95_ms} ms."
  else
    echo "**not met** by: $failing."
  fi)

$(awk -v n="$(nproc)" -v a="${load_at_start%% *}" -v b="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  if (a > n || b > n) printf "> **The machine was busy**: the load average was %s at the start and %s at the end, on %d cores (other builds\n> and tests shared the CPU). The server, PostgreSQL and the load generator got a fraction of the machine: these figures\n> are what this box gave under that load, not what the work costs on an idle machine.\n", a, b, n }')

| | |
| --- | --- |
| machine | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) |
| load average (1, 5, 15 min) at start / end | $load_at_start / $(cut -d' ' -f1-3 /proc/loadavg) |
| commit | $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo " (with uncommitted changes)") |
| command | \`$command\` (options: \`bench/devcontext.sh --help\`) |
| data | $(json data) |

**Commit sync** (one server process, the durable PostgreSQL of [Settings](#settings), a fresh database; the server's
role without BYPASSRLS): $(json batches) requests of 1,000 commits, ${sync_concurrency} at a time, each 70 % commits not
sent before (oldest first, as \`coditect repo sync\` sends them) and ${duplicate_percent} % re-sent ones; one in ten
messages names a task (\`BEN-n\`). The rate is commits in requests ÷ the wall clock from the first request to the last
answer (serialization of the bodies done before).

| measured | commits | seconds | commits/s | per request p50 / p95 ms |
| --- | --: | --: | --: | --- |
| commit sync, received (HTTP, JSON, batches of 1,000) | $(json received) | $(printf '%.1f' "$(json seconds)") | $received_rate | $(printf '%.0f' "$(json batch_p50_ms)") / $(printf '%.0f' "$(json batch_p95_ms)") |
| commit sync, inserted (new rows only) | $(json inserted) | $(printf '%.1f' "$(json seconds)") | $inserted_rate | |
| \`COPY commits FROM\` (psql \\copy, CSV, one statement) of the same distinct rows | $copy_rows | $copy_seconds | $copy_rate | |
| **ratio**: inserted rate ÷ COPY rate | | | **$ratio** | |

The COPY ran after the sync, into the same \`commits\` table (all its indexes, ~$(json inserted) rows already there) for
another repository of the same organization, as the superuser (PostgreSQL refuses \`COPY FROM\` into a table whose
row-level security binds the caller), in one transaction. It writes the rows only: no roll-ups, no task links, no branch
heads, no outbox event, no JSON.

**Reads**, each at a fixed arrival rate of $rate/s on its own (open model, latency from the intended start;
${warmup} s warm-up, ${duration} s measured): \`GET /api/v1/orgs/{org}/projects/{id}/stats\`; the call the board makes
per column, \`GET /api/v1/orgs/{org}/tasks?project_id={id}&status={status}\` (default page, by number; the four
statuses in turn); the console's \`/orgs/{org}/projects/{id}/board\` (four columns, signed in through the form; 200 with
a whole HTML page). A read passes with zero errors and p95 ≤ ${p95_ms} ms (upper bounds of the histogram's buckets).

| backend | measurement | offered rate (/s) | ok | p50 ms | p95 ms | p99 ms | max ms | errors | p95 ≤ ${p95_ms} ms, zero errors |
| --- | --- | --: | --: | --: | --: | --: | --: | --- | --- |
$(cat "$results/rows.md")

EOF
} >"$results/section.md"

replace_section "## Dev Context" "$results/section.md" "$out"
log "devcontext: wrote the ## Dev Context section of $out"
