#!/usr/bin/env bash
# The benchmark, in one command, from a fresh clone: builds in Release, starts a private durable PostgreSQL,
# and a private Redis without persistence, measures the machine's own limit with pgbench (the server's acquire and
# heartbeat SQL on the same data shape) and redis-benchmark (EVALSHA of the Redis ledger's own heartbeat script, read
# from RedisScripts.cs), then drives real Coditect.Server processes over HTTP (SQLite x1, PostgreSQL x1 and x2,
# PostgreSQL+Redis x1 and x2) with bench/Coditect.Bench at fixed arrival rates, stops everything it started and
# writes docs/benchmarks.md.
#
# Usage: bench/run.sh [--quick] [--duration S] [--warmup S] [--start-rate R] [--max-steps N] [--max-p99-ms MS]
#                     [--cold-licenses N] [--hot-sessions N] [--cold-sessions N] [--pgbench-seconds S]
#                     [--pgbench-clients N] [--hot-group N] [--redis-requests N] [--redis-clients N] [--out FILE] [--keep]
#                     [--soak S] [--soak-heartbeats R] [--soak-churn R] [--profile-rate R]
#                     [--only AREA] [--console-rate R] [--console-duration S] [--console-warmup S]
#   --only    rerun one area's rows (docs/decisions.md, "Time budgets"): licensing (everything but the console: pgbench,
#             redis-benchmark, the lease scenarios; rewrites the file above its kept sections) or console (issue 11:
#             the web console's pages on PostgreSQL and SQLite; rewrites only the "## Console" section). sqlite
#             (bench/sqlite.sh: the SQLite ledger against its single-writer loop, issue 17), redis (bench/redis.sh: Redis
#             heartbeats per signing algorithm against the script called directly, and the signature cost, issue 17),
#             devcontext (bench/devcontext.sh),
#             messages (bench/messages.sh) and webhooks (bench/webhooks.sh) run their own scripts. Without --only: licensing,
#             then console, then sqlite and redis, so that one run reports every target of issues 4 and 17 beside the
#             limit it is a ratio of (about an hour and a half on 2 cores).
#   --console-rate/-duration/-warmup  the console's fixed rate (50/s), measured seconds (30) and warm-up (10).
#   --soak    the memory run: S seconds (600) of heartbeats (R/s, 2000) and churn (R/s, 50) at once on PostgreSQL + Redis,
#             server RSS sampled every 10 s. --profile-rate: the fixed heartbeat rate (2000/s) of the profile phase.
#   --hot-group  the calls per transaction of the grouped pgbench batch on the hot licence (8; docs/adr/0023).
#   --quick   about three minutes after the build: small data, two fixed rates per scenario, short pgbench runs.
#             For checking that the script works; its numbers are not the benchmark.
#   --keep    leave the work directory (logs, JSON results) in /tmp for inspection.
# Traffic goes to 127.0.0.1 only. Every loop is bounded; every process started here is stopped by its own pid.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }

# ---- settings (full run: about an hour on 2 cores, 10 minutes of it the memory run) ----
mode=full
duration=10; warmup=3; start_rate=100; step_factor=2; max_steps=8; refine=1; max_p99_ms=100
soak_seconds=600; soak_heartbeats=2000; soak_churn=50; profile_rate=2000; profile_seconds=20
hot_seats=10000; hot_sessions=5000; cold_licenses=10000; cold_seats=10; cold_sessions=10000
pgbench_seconds=20; pgbench_clients=16; lease_ttl=3600; hot_group=8
redis_requests=1000000; redis_clients=50
out="$root/docs/benchmarks.md"; keep=0
only=""; console_rate=50; console_duration=30; console_warmup=10; console_p95_ms=50; console_cost_requests=50
# The console's setup goes through the API like the others', half as many calls at once: on SQLite (one writer) and on the hot
# licence (one row lock) the calls queue anyway, and 32 queued behind each other on a busy machine pass the timeout.
console_setup_concurrency=16; console_timeout=30
rates_flag=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick; duration=2; warmup=1; max_steps=2; step_factor=4; refine=0
             hot_sessions=200; cold_licenses=200; cold_sessions=200; pgbench_seconds=3; redis_requests=100000
             soak_seconds=30; soak_heartbeats=200; soak_churn=20; profile_rate=200; profile_seconds=8
             console_duration=5; console_warmup=2; console_cost_requests=10 ;;
    --only) only="$2"; shift ;;
    --console-rate) console_rate="$2"; shift ;;
    --console-duration) console_duration="$2"; shift ;;
    --console-warmup) console_warmup="$2"; shift ;;
    --soak) soak_seconds="$2"; shift ;;
    --soak-heartbeats) soak_heartbeats="$2"; shift ;;
    --soak-churn) soak_churn="$2"; shift ;;
    --profile-rate) profile_rate="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --start-rate) start_rate="$2"; shift ;;
    --max-steps) max_steps="$2"; shift ;;
    --max-p99-ms) max_p99_ms="$2"; shift ;;
    --cold-licenses) cold_licenses="$2"; shift ;;
    --hot-sessions) hot_sessions="$2"; shift ;;
    --cold-sessions) cold_sessions="$2"; shift ;;
    --pgbench-seconds) pgbench_seconds="$2"; shift ;;
    --pgbench-clients) pgbench_clients="$2"; shift ;;
    --hot-group) hot_group="$2"; shift ;;
    --redis-requests) redis_requests="$2"; shift ;;
    --redis-clients) redis_clients="$2"; shift ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case "$only" in
  ""|licensing|console) ;;
  devcontext) exec "$root/bench/devcontext.sh" $([ "$mode" = quick ] && echo --quick) --out "$out" $([ "$keep" = 1 ] && echo --keep) ;;
  messages) exec "$root/bench/messages.sh" $([ "$mode" = quick ] && echo --quick) --out "$out" $([ "$keep" = 1 ] && echo --keep) ;;
  webhooks) exec "$root/bench/webhooks.sh" ;; # issue 15: its own script, rows for docs/benchmarks.md's "## Webhooks"
  sqlite) exec "$root/bench/sqlite.sh" $([ "$mode" = quick ] && echo --quick) --out "$out" $([ "$keep" = 1 ] && echo --keep) ;;
  redis) exec "$root/bench/redis.sh" $([ "$mode" = quick ] && echo --quick) --out "$out" $([ "$keep" = 1 ] && echo --keep) ;;
  *) echo "unknown area $only (licensing, sqlite, redis, console, devcontext, messages, webhooks)" >&2; exit 2 ;;
esac
run_licensing=1; run_console=1
[ "$only" = console ] && run_licensing=0
[ "$only" = licensing ] && run_console=0

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
nproc_count="$(nproc)"
work="$(mktemp -d /tmp/coditect-bench.XXXXXX)"
chmod 755 "$work"
results="$work/results"; mkdir -p "$results"
. "$root/scripts/services.sh"
. "$root/bench/lib.sh"

# ---- cleanup: stop exactly what this script started ----
server_pids=()
stop_servers() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  server_pids=()
}
cleanup() {
  stop_servers
  services_stop
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM # exit runs the EXIT trap once, then stops

# ---- build (Release) ----
log "building in Release ($mode run)"
cd "$root"
dotnet publish src/Coditect.Server -c Release -o "$work/server" -nologo -v quiet >"$work/build.log" 2>&1 \
  && dotnet publish bench/Coditect.Bench -c Release -o "$work/bench" -nologo -v quiet >>"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
server_dll="$work/server/Coditect.Server.dll"
bench_dll="$work/bench/Coditect.Bench.dll"

# ---- PostgreSQL: private, on a random port, durable (fsync and synchronous_commit on) ----
# Sized for a 2-core box that also runs the servers and the load generator. Durability is NOT relaxed:
# fsync, synchronous_commit and full_page_writes keep their defaults (on); every commit waits for its WAL flush.
pg_settings=(
  "listen_addresses=127.0.0.1" "max_connections=300" "shared_buffers=512MB" "effective_cache_size=2GB"
  "work_mem=8MB" "maintenance_work_mem=128MB" "wal_buffers=16MB" "max_wal_size=4GB" "checkpoint_timeout=30min"
  "checkpoint_completion_target=0.9" "random_page_cost=1.1" "fsync=on" "synchronous_commit=on" "full_page_writes=on"
  "shared_preload_libraries=pg_stat_statements" "pg_stat_statements.track=all"
)
pg_flags=()
for s in "${pg_settings[@]}"; do pg_flags+=(-c "$s"); done
services_start_postgres "$work" durable "${pg_flags[@]}" || exit 1
# The server's own role: owner of its database, no superuser, no BYPASSRLS, so row-level security binds it.
psql_admin -d postgres -c "create role coditect login nosuperuser nobypassrls nocreatedb nocreaterole"
psql_admin -d postgres -c "create extension pg_stat_statements"
fresh_db() { # name
  psql_admin -d postgres -c "drop database if exists $1 with (force)" -c "create database $1 owner coditect"
}
pg_conn() { echo "Host=127.0.0.1;Port=$pg_port;Database=$1;Username=coditect"; }

master_key="$(head -c 32 /dev/urandom | base64)" # generated per run, never written to the repository
server_vars() { # provider connection-string -> the environment of a server process, one VAR=value per line
  printf '%s\n' "Database__Provider=$1" "ConnectionStrings__Database=$2" "Secrets__MasterKey=$master_key" \
    RateLimits__ApiPerMinute=10000000 RateLimits__SignInPerMinute=1000000 \
    RateLimits__LicensePerMinute=100000000 RateLimits__SessionPerMinute=1000000 "Licensing__LeaseTtlSeconds=$lease_ttl" \
    Plans__enterprise__api_requests_per_hour=1000000000
}

# Sets started_url; not called in $(...), so the pid it records stays in this shell for stop_servers.
start_server() { # provider connection-string log [extra VAR=value...]
  local port pid vars; port="$(free_port)"
  mapfile -t vars < <(server_vars "$1" "$2"; [ $# -gt 3 ] && printf '%s\n' "${@:4}" || true)
  # From its own folder, as the Dockerfile runs it: the content root is the working directory, and appsettings.json
  # there keeps per-request framework logging at Warning (run from elsewhere, it would log every request).
  (cd "$(dirname "$server_dll")" && exec env "${vars[@]}" dotnet "$server_dll" --urls "http://127.0.0.1:$port") >"$3" 2>&1 &
  pid=$! # the subshell execs env, which execs dotnet: $! is the server itself
  server_pids+=("$pid")
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then started_url="http://127.0.0.1:$port"; return; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  cat "$3" >&2; echo "server did not become ready" >&2; exit 1
}

cpu_ticks() { # pids... -> utime+stime clock ticks summed (0 for a pid that is gone)
  local total=0 pid
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then
      total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    fi
  done
  echo "$total"
}
postgres_pids() { # our cluster only: the postmaster and its children (other clusters may run on this machine)
  local postmaster; postmaster="$(head -n 1 "$pg_data/postmaster.pid")"
  echo "$postmaster $(pgrep -P "$postmaster" | tr '\n' ' ')"
}

# ---- the console (issue 11): the licences list and a licence's page at a fixed rate, on PostgreSQL then SQLite ----
# One server per backend, fresh data through the API (the cold and hot shapes in one organization), a sign-in through
# the form, then Coditect.Bench --scenario console, which also reads /proc around its measured window: the load average,
# and the CPU time of the server, PostgreSQL, itself and everything else on the machine, so a busy box shows as such.
console_rows="$results/console.md"; console_costs="$results/console-costs.md"; console_cpu="$results/console-cpu.md"
console_statements="$results/console-statements.md"; console_data="$results/console-data.md"
: >"$console_rows"; : >"$console_costs"; : >"$console_cpu"; : >"$console_statements"; : >"$console_data"
run_console() { # backend provider connection-string
  local backend="$1" log_file="$results/bench-console-$1.log" bench_pid pg_flag=()
  start_server "$2" "$3" "$results/server-console-$backend.log"
  [[ $backend == postgres* ]] && pg_flag=(--pg-pid "$(head -n 1 "$pg_data/postmaster.pid")")
  log "console on $backend: the benchmark data through the API, a sign-in through /signin, then $console_rate/s"
  dotnet "$bench_dll" --url "$started_url" --pids "${server_pids[0]}" "${pg_flag[@]}" --backend "$backend" --scenario console \
    --rate "$console_rate" --warmup "$console_warmup" --duration "$console_duration" --max-p95-ms "$console_p95_ms" \
    --hot-seats "$hot_seats" --hot-sessions "$hot_sessions" --cold-licenses "$cold_licenses" --cold-seats "$cold_seats" \
    --cold-sessions "$cold_sessions" --setup-concurrency "$console_setup_concurrency" --timeout "$console_timeout" \
    --cost-requests "$console_cost_requests" --json "$results/console-$backend.json" --markdown "$console_rows" \
    --cost-markdown "$console_costs" --cpu-markdown "$console_cpu" \
    >"$results/bench-console-$backend.out" 2>"$log_file" &
  bench_pid=$!
  if [[ $backend == postgres* ]]; then
    # pg_stat_statements from the warm-up on: the setup's statements are not the pages'.
    for _ in $(seq 1 7200); do # the setup: at most an hour
      grep -q 'console: warm-up starts' "$log_file" 2>/dev/null && break
      kill -0 "$bench_pid" 2>/dev/null || break
      sleep 0.5
    done
    psql_admin -d postgres -c "select pg_stat_statements_reset()" >/dev/null
  fi
  if ! wait "$bench_pid"; then # a row that says so, and on to the next backend: the section is still written
    cat "$log_file" >&2
    printf '| %s | the scenario stopped: %s | %s | | | | | | | | | **FAIL** |\n' "$backend" \
      "$(grep -m1 -E 'Exception|error' "$log_file" | cut -c1-240 | tr '|' '/')" "$console_rate" >>"$console_rows"
  fi
  grep -E '^\[bench\]' "$log_file" >&2 || true
  sed -n 's/^\[bench\] console: data as the pages show it \(before\|after\) the run: /\1 the run: /p' "$log_file" \
    | sed "s/^/- $backend, /" >>"$console_data"
  if [[ $backend == postgres* ]]; then
    psql_admin -d postgres -A -t -F ' | ' -c "
      select '$backend', calls, round(total_exec_time::numeric / 1000, 2), round(mean_exec_time::numeric, 2),
             replace(regexp_replace(left(query, 160), '\s+', ' ', 'g'), '|', '/')
      from pg_stat_statements join pg_database d on d.oid = dbid
      where d.datname = 'coditect' order by total_exec_time desc limit 8" \
      | sed 's/^/| /; s/$/ |/' >>"$console_statements"
  fi
  stop_servers
}

# Replaces the "## Console" section of $out (from its heading to the next "## " heading) with the file given, or
# inserts it before "## Sign-in" (after the generated part, which the full run rewrites and this section survives),
# or at the end. Nothing else in the file changes.
replace_console_section() { # section-file
  local section="$1"
  [ -f "$out" ] || : >"$out"
  awk -v section="$section" '
    function put() { while ((getline line < section) > 0) print line; close(section); done = 1 }
    $0 == "## Console" { put(); skip = 1; next }
    skip && /^## / { skip = 0 }
    skip { next }
    !done && $0 == "## Sign-in" { put() }
    { print }
    END { if (!done) { if (NR > 0) print ""; put() } }' "$out" >"$out.tmp"
  mv "$out.tmp" "$out"
}

console_area() {
  local started; started="$(cut -d' ' -f1-3 /proc/loadavg)"
  local started_at; started_at="$(date -u +%Y-%m-%dT%H:%MZ)"
  log "console: PostgreSQL, 1 server process"
  fresh_db coditect
  run_console postgres Postgres "$(pg_conn coditect)"
  log "console: SQLite, 1 server process"
  rm -rf "$work/sqlite-console"; mkdir -p "$work/sqlite-console"
  run_console sqlite Sqlite "Data Source=$work/sqlite-console/coditect.db"
  local ended; ended="$(cut -d' ' -f1-3 /proc/loadavg)"
  local command="bench/run.sh --only console"
  [ "$only" = console ] || command="bench/run.sh"
  [ "$mode" = quick ] && command="$command --quick"
  local failing; failing="$(awk -F' [|] ' '$NF ~ /FAIL/ { sub(/^[|] /, "", $1); printf "%s%s %s (p95 %s ms%s)", (n++ ? "; " : ""), $1, $2, $7, ($10 == "0" ? "" : ", errors: " $10) }' "$console_rows")"
  local quick_note=""
  [ "$mode" = quick ] && quick_note="> **A \`--quick\` run**: small data and ${console_duration}-second steps. It checks that the scenario works; its numbers are not the benchmark."$'\n\n'
  local load_max; load_max="$(awk -F' [|] ' '{ split($3, l, " "); if (l[1] > m) m = l[1] } END { print m + 0 }' "$console_cpu")"
  {
    cat <<EOF
## Console

Written by \`$command\` on $started_at; the rest of this file is not rewritten by it (and the full run keeps this
section when it rewrites the part above). Issue 11: on the benchmark data, the licences list and a licence's page
render in p95 ≤ ${console_p95_ms} ms at ${console_rate} requests/s.

${quick_note}**Verdict**: $(if [ -z "$failing" ]; then
    echo "met on both backends: every page answered 200 with a whole HTML page and p95 ≤ ${console_p95_ms} ms."
  else
    echo "**not met** by: $failing."
  fi) $(awk -v m="$load_max" -v n="$nproc_count" 'BEGIN { if (m > n) printf "The machine was busy: the load average at the start of the measured windows reached %s on %d cores (other builds and tests); the table \"Where the CPU went\" shows how much of the machine the server got. These figures are what this box gave under that load, not what the pages cost on an idle machine.", m, n }')

| | |
| --- | --- |
| machine | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME") |
| load average (1, 5, 15 min) at start / end | $started / $ended |
| commit | $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo " (with uncommitted changes)") |
| command | \`$command\` (options: \`--console-rate\`, \`--console-duration\`, \`--console-warmup\`; \`--help\`) |

What runs: one server process (the published Release build, settings as in [Settings](#settings):
\`Licensing__LeaseTtlSeconds=$lease_ttl\`, so the held sessions stay live through setup and run without heartbeats; the
lease sweeper runs as usual) on PostgreSQL (the private durable cluster above, a fresh database) and then on SQLite
(a fresh file, the embedded default). Data, through the API as in the other scenarios, in one organization:
$cold_licenses cold licences × $cold_seats seats with $cold_sessions sessions held (spread evenly) and the hot licence,
$hot_seats seats with $hot_sessions sessions held, so the list has $((cold_licenses + 1)) licences. The load generator
signs in as that organization's owner through the form (\`GET /signin\`, \`__csrf\` from the form, \`POST /signin\`, 302
with \`coditect_session\`; one cookie jar, redirects not followed), then requests at a fixed arrival rate of
$console_rate/s in turn: \`/orgs/{org}/licenses\`, the hot licence's \`/orgs/{org}/licenses/{id}\`,
\`/orgs/{org}/licenses?search=cold 99\` (the names containing "cold 99"), the licence's page again: the licence's page
at half the rate, each list at a quarter. Open model (latency from each request's intended start), ${console_warmup} s
warm-up (sent, not recorded), ${console_duration} s measured. An answer counts only if it is 200 and contains
\`</html>\`; anything else (another status, a redirect to /signin, a timeout, a request over \`--max-in-flight\`) is an
error. A page passes with zero errors and p95 ≤ ${console_p95_ms} ms; percentiles are the upper bounds of the
histogram's buckets. The usage chart's data is a separate request (\`?handler=usage\`) that a browser makes after the
page; like the page's scripts and styles it is not requested here.

| backend | page | offered rate (/s, all pages) | achieved (/s, this page) | ok | p50 ms | p95 ms | p99 ms | max ms | errors | HTML KiB | p95 ≤ ${console_p95_ms} ms, zero errors |
| --- | --- | --: | --: | --: | --: | --: | --: | --: | --- | --: | --- |
$(cat "$console_rows")

The data as the pages showed it (one request each, before and after the run):

$(cat "$console_data")

### Where the CPU went

During each measured window (its length as sampled, from /proc): cores' worth of CPU used by the server process,
PostgreSQL (all its processes), the load generator, everything else on the machine, and idle (of $nproc_count cores).

| backend | offered rate (/s) | load average at the window's start | window | server | PostgreSQL | load generator | other processes | idle |
| --- | --: | --- | --: | --: | --: | --: | --: | --: |
$(cat "$console_cpu")

What each page costs on its own, after the run (once the server is back under a quarter of a core, and 20 unmeasured
requests per page): $console_cost_requests requests one after another, and the CPU time (user + system, /proc) of the
server and of PostgreSQL over them divided by their number. Their background work in the same seconds is included
(on a starved server, JIT compilation that fell behind; in PostgreSQL, autovacuum after the setup's inserts). On
PostgreSQL the SQL runs in PostgreSQL's processes; on SQLite it is inside the server's figure.

| backend | page | requests, one at a time | errors | p50 ms | p95 ms | max ms | server CPU ms per request | PostgreSQL CPU ms per request |
| --- | --- | --: | --- | --: | --: | --: | --: | --: |
$(cat "$console_costs")

The statements PostgreSQL spent its time on from the warm-up to the end of the PostgreSQL run (pg_stat_statements, top
8 by total execution time):

| backend | calls | total s | mean ms | statement |
| --- | --: | --: | --: | --- |
$(cat "$console_statements")

EOF
  } >"$results/console-section.md"
  replace_console_section "$results/console-section.md"
  log "console: wrote the ## Console section of $out"
}

if [ "$run_licensing" = 0 ]; then
  console_area
  exit 0
fi

# ---- the machine's limit: pgbench with the server's own SQL on data shaped like the scenarios' ----
log "pgbench: seeding data shaped like the scenarios"
fresh_db coditect_pgbench
mapfile -t vars < <(server_vars Postgres "$(pg_conn coditect_pgbench)")
env "${vars[@]}" dotnet "$server_dll" migrate >"$work/migrate.log" 2>&1 \
  || { cat "$work/migrate.log" >&2; exit 1; }
psql_admin -d coditect_pgbench -v hot_seats="$hot_seats" -v hot_sessions="$hot_sessions" -v cold_licenses="$cold_licenses" \
  -v cold_seats="$cold_seats" -v cold_sessions="$cold_sessions" -f "$root/bench/pgbench/seed.sql"
declare -A pgbench_tps=() pgbench_clients_of=() pgbench_script_of=()
run_pgbench() { # scenario script kh_base licenses sessions prefix [clients] [calls per transaction]
  local name="$1" script="$2" clients="${7:-$pgbench_clients}" per="${8:-1}" path tps
  path="$root/bench/pgbench/$script"; [ -f "$path" ] || path="$work/$script"
  psql_admin -d coditect_pgbench -c "checkpoint" >/dev/null
  pgbench -n -h 127.0.0.1 -p "$pg_port" -U coditect -d coditect_pgbench -M prepared -c "$clients" -j 2 -T "$pgbench_seconds" \
    -D kh_base="$3" -D licenses="$4" -D sessions="$5" -D prefix="$6" -D ttl="$lease_ttl" \
    -f "$path" >"$results/pgbench-$name.txt" 2>&1 \
    || { cat "$results/pgbench-$name.txt" >&2; exit 1; }
  tps="$(awk '/^tps = /{print $3; exit}' "$results/pgbench-$name.txt")"
  pgbench_tps[$name]="$(awk -v t="$tps" -v n="$per" 'BEGIN { printf "%.1f", t * n }')"
  pgbench_clients_of[$name]="$clients"; pgbench_script_of[$name]="$script"
  log "pgbench $name ($script, $clients clients, ${pgbench_seconds}s): ${pgbench_tps[$name]}/s"
}
# A hot licence (issue 17 §3): one hot row's update rate is the limit; the server's batch there is a group of the
# licence's waiting calls (docs/adr/0023-licence-lock-groups.md), one group in flight per server process, so both run
# with two clients (the x2 topology). The HTTP churn-hot ratio is against the grouped batch; acquire.sql one call a
# transaction at 16 clients stays beside it as churn-hot-single.
bench/pgbench/group.sh "$hot_group" <"$root/bench/pgbench/acquire.sql" >"$work/acquire-group.sql"
run_pgbench heartbeat-hot heartbeat.sql 1000000 1 "$hot_sessions" hot-
run_pgbench hot-row hot-row.sql 1000000 1 0 - 2
run_pgbench churn-hot acquire-group.sql 1000000 1 0 - 2 "$hot_group"
run_pgbench churn-hot-single acquire.sql 1000000 1 0 -
run_pgbench heartbeat-cold heartbeat.sql 2000000 "$cold_licenses" "$cold_sessions" cold-
run_pgbench churn-cold acquire.sql 2000000 "$cold_licenses" 0 -
pgbench_flags=()
for name in "${!pgbench_tps[@]}"; do pgbench_flags+=(--pgbench "$name=${pgbench_tps[$name]}"); done

# ---- Redis: private, on a random port, no persistence (the Redis ledger needs none: PostgreSQL is the record) ----
services_start_redis "$work" || exit 1
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
[ "$(rcli ping)" = PONG ] || { cat "$work/redis.log" >&2; echo "Redis did not start" >&2; exit 1; }

# ---- the machine's limit for Redis: redis-benchmark EVALSHA of the server's own heartbeat script ----
# The Lua text is read from the C# source at every run, so the benchmark cannot drift from the code it measures.
scripts_cs="$root/src/Coditect.Server/Licensing/Ledger/RedisScripts.cs"
awk '/public const string Heartbeat = """/ {on = 1; next} on && /^ *""";/ {exit} on {sub(/^        /, ""); print}' \
  "$scripts_cs" >"$results/heartbeat.lua"
grep -q "ZADD', KEYS\[1\], 'XX'" "$results/heartbeat.lua" \
  || { echo "could not read the Heartbeat script from $scripts_cs (its layout changed?)" >&2; exit 1; }
heartbeat_sha="$(rcli SCRIPT LOAD "$(cat "$results/heartbeat.lua")")"
[ "$(printf '%s' "$(cat "$results/heartbeat.lua")" | sha1sum | cut -d' ' -f1)" = "$heartbeat_sha" ] \
  || { echo "SCRIPT LOAD answered $heartbeat_sha, not the SHA-1 of the script" >&2; exit 1; }
# Keys as the server prepares them for one licence (RedisScripts.Leases/Hardware/Ready/Confirmed), with the hot shape's
# held sessions: each a live member whose lease ends before the new expiry (a heartbeat never shortens a lease), its
# hardware id and a confirmed (PostgreSQL) expiry far ahead, so every call takes the full path (EXISTS, ZSCORE, HGET,
# HGET, ZADD XX) and answers "=<hardware>".
bench_license="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
redis_keys=("cdx:{L:$bench_license}:leases" "cdx:{L:$bench_license}:hw" "cdx:{L:$bench_license}:ready" "cdx:{L:$bench_license}:pg")
far_ms=9999999999999
now_ms="$(date +%s%3N)"; new_expiry_ms=$((now_ms + lease_ttl * 1000))
rcli EVAL "
  for i = 0, tonumber(ARGV[1]) - 1 do
    local s = string.format('%032d', i)
    redis.call('ZADD', KEYS[1], ARGV[3], s)
    redis.call('HSET', KEYS[2], s, 'hw-' .. i)
    redis.call('HSET', KEYS[4], s, ARGV[2])
  end
  redis.call('SET', KEYS[3], '1')
  return redis.call('ZCARD', KEYS[1])" 4 "${redis_keys[@]}" "$hot_sessions" "$far_ms" "$((now_ms + lease_ttl * 500))" >/dev/null
margin_ms=$(( (lease_ttl / 3) * 1000 + 2000 )) # the server's: heartbeat interval (TTL / 3) + 2 write-behind flushes
probe="$(rcli EVALSHA "$heartbeat_sha" 4 "${redis_keys[@]}" "$(printf '%032d' 0)" "$now_ms" "$new_expiry_ms" "$margin_ms")"
[ "$probe" = "=hw-0" ] || { echo "the heartbeat script answered '$probe' on the prepared keys, not =hw-0" >&2; exit 1; }
declare -A redis_rps=() redis_p99=()
run_redis_benchmark() { # pipeline
  local out="$results/redis-benchmark-P$1.csv"
  rcli CONFIG RESETSTAT >/dev/null
  # __rand_int__ becomes 12 digits below -r: a random held session of the 32-character ids 0...0 to the last one.
  redis-benchmark -h 127.0.0.1 -p "$redis_port" -c "$redis_clients" -n "$redis_requests" -r "$hot_sessions" -P "$1" --csv \
    EVALSHA "$heartbeat_sha" 4 "${redis_keys[@]}" "00000000000000000000__rand_int__" "$now_ms" "$new_expiry_ms" "$margin_ms" \
    >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
  rcli INFO commandstats | tr -d '\r' | grep '^cmdstat_evalsha' >"$results/redis-benchmark-P$1.stats" || true
  rcli INFO errorstats | tr -d '\r' | grep '^errorstat_' >>"$results/redis-benchmark-P$1.stats" || true
  redis_rps[$1]="$(awk -F'","' 'NR == 2 {print $2}' "$out")"
  redis_p99[$1]="$(awk -F'","' 'NR == 2 {print $7}' "$out")"
  log "redis-benchmark EVALSHA heartbeat (-c $redis_clients -P $1, $redis_requests calls): ${redis_rps[$1]}/s, p99 ${redis_p99[$1]} ms"
}
run_redis_benchmark 1  # one call per round trip per connection
run_redis_benchmark 16 # pipelined, as StackExchange.Redis multiplexes every node's calls onto one connection
[ "$(rcli ZCARD "${redis_keys[0]}")" = "$hot_sessions" ] \
  || { echo "redis-benchmark dropped leases: the script took the lapsed path" >&2; exit 1; }
grep -q '^errorstat_' "$results"/redis-benchmark-P*.stats && { cat "$results"/redis-benchmark-P*.stats >&2; exit 1; }
rcli FLUSHALL >/dev/null
rcli SCRIPT FLUSH >/dev/null # so that SCRIPT EXISTS after the server runs proves they ran this very script text
# The limit the Redis heartbeat rows are compared with: the pipelined rate, the higher of the two (what Redis itself
# can execute here; the servers pipeline too). The unpipelined rate is in the limit table next to it.
redis_flags=(--redis-evalsha "${redis_rps[16]}")

# ---- servers and the load generator ----
summary="$results/summary.md"; steps="$results/steps.md"; cpu="$results/cpu.md"; statements="$results/statements.md"
redis_stats="$results/redis-stats.txt"; redis_health="$results/redis-health.txt"
: >"$summary"; : >"$steps"; : >"$cpu"; : >"$statements"; : >"$redis_stats"; : >"$redis_health"
if [ "$mode" = quick ]; then
  rate_flags=(--rate "$start_rate,$((start_rate * step_factor))")
else
  rate_flags=(--search --start-rate "$start_rate" --step-factor "$step_factor" --max-steps "$max_steps" --refine "$refine")
fi

run_config() { # backend processes label urls
  local backend="$1" processes="$2" label="$3" urls="$4"
  local pids; pids="$(IFS=,; echo "${server_pids[*]}")"
  local hz; hz="$(getconf CLK_TCK)"
  [[ $backend == postgres* ]] && psql_admin -d postgres -c "select pg_stat_statements_reset()" >/dev/null
  local with_redis=0; [[ $backend == *redis* ]] && with_redis=1
  [ "$with_redis" = 1 ] && rcli CONFIG RESETSTAT >/dev/null
  local server_before pg_before redis_before start_s; server_before="$(cpu_ticks "${server_pids[@]}")"
  redis_before="$(cpu_ticks "$redis_pid")"
  # shellcheck disable=SC2046
  pg_before="$(cpu_ticks $(postgres_pids))"; start_s="$(date +%s.%N)"
  # The data is made through the API in a minute; ANALYZE then gives the planner the statistics autovacuum would give
  # a database that has been up a while, before the first step (without them the hot licence's statements measured
  # 10 times slower, depending on whether autovacuum had come round yet: docs/adr/0023-licence-lock-groups.md).
  local after=()
  [[ $backend == postgres* ]] && after=(--after-setup "PGOPTIONS='-c client_min_messages=warning' psql -X -q -h 127.0.0.1 -p $pg_port -U postgres -d coditect -c ANALYZE")
  log "$label: running scenarios"
  /usr/bin/time -f "%U %S" -o "$results/bench-cpu-$label.txt" \
    dotnet "$bench_dll" --url "$urls" --backend "$backend" --processes "$processes" --pids "$pids" \
    --scenario all "${rate_flags[@]}" --duration "$duration" --warmup "$warmup" --max-p99-ms "$max_p99_ms" \
    --hot-seats "$hot_seats" --hot-sessions "$hot_sessions" --cold-licenses "$cold_licenses" --cold-seats "$cold_seats" \
    --cold-sessions "$cold_sessions" "${pgbench_flags[@]}" "${redis_flags[@]}" "${after[@]}" \
    --json "$results/$label.json" --markdown "$summary" --steps-markdown "$steps" \
    >"$results/bench-$label.out" 2>"$results/bench-$label.log" || { cat "$results/bench-$label.log" >&2; exit 1; }
  local wall server_s pg_s redis_s bench_s
  wall="$(echo "$(date +%s.%N) - $start_s" | bc)"
  server_s="$(echo "($(cpu_ticks "${server_pids[@]}") - $server_before) / $hz" | bc -l)"
  # shellcheck disable=SC2046
  pg_s="$( [[ $backend == postgres* ]] && echo "($(cpu_ticks $(postgres_pids)) - $pg_before) / $hz" | bc -l || echo 0)"
  redis_s="$( [ "$with_redis" = 1 ] && echo "($(cpu_ticks "$redis_pid") - $redis_before) / $hz" | bc -l || echo 0)"
  bench_s="$(awk '{print $1 + $2}' "$results/bench-cpu-$label.txt")"
  printf '| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f |\n' "$backend" "$processes" "$wall" "$server_s" "$pg_s" "$redis_s" "$bench_s" >>"$cpu"
  if [ "$with_redis" = 1 ]; then
    # What Redis executed for this configuration, and what each server's ledger counted (rebuilds, repaired,
    # fallbacks = Redis calls that failed and were served by PostgreSQL, pending write-behind heartbeats).
    rcli INFO commandstats | tr -d '\r' | grep '^cmdstat_' | sed "s/^/$label /" >>"$redis_stats" || true
    rcli INFO errorstats | tr -d '\r' | grep '^errorstat_' | sed "s/^/$label /" >>"$redis_stats" || true
    local url; for url in ${urls//,/ }; do
      printf '%s %s %s\n' "$label" "$url" "$(curl -sS --max-time 10 "$url/health/ready" 2>&1 | tr -d '\n')" >>"$redis_health"
    done
  fi
  if [[ $backend == postgres* ]]; then
    psql_admin -d postgres -A -t -F ' | ' -c "
      select '$label', calls, round(total_exec_time::numeric / 1000, 1), round(mean_exec_time::numeric, 2),
             replace(regexp_replace(left(query, 90), '\s+', ' ', 'g'), '|', '/')
      from pg_stat_statements join pg_database d on d.oid = dbid
      where d.datname = 'coditect' order by total_exec_time desc limit 6" \
      | sed 's/^/| /; s/$/ |/' >>"$statements"
  fi
  grep -E '^\[bench\]' "$results/bench-$label.log" >&2 || true
}

# ---- where the time goes: CPU per heartbeat of every process, and a perf profile of the server ----
# One PostgreSQL + Redis server, heartbeat-hot at a fixed rate: CPU ticks of the server, PostgreSQL, Redis and the load
# generator over the same interval (-> µs of CPU per heartbeat each), and, if perf is installed, a sampled profile
# of the server (JIT'd code named through the runtime's perf map).
bench_wait_setup() { # log-file: returns once the load generator has made its data (or has stopped)
  for _ in $(seq 1 1200); do
    grep -q 'held session(s) acquired' "$1" 2>/dev/null && return 0
    sleep 0.5
  done
}
profile_cpu="$results/profile-cpu.md"; profile_perf="$results/profile-perf.txt"; : >"$profile_cpu"; : >"$profile_perf"
log "profile: PostgreSQL + Redis, heartbeat-hot at $profile_rate/s"
fresh_db coditect; rcli FLUSHALL >/dev/null
start_server Postgres "$(pg_conn coditect)" "$results/server-profile.log" "ConnectionStrings__Redis=127.0.0.1:$redis_port" \
  DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
dotnet "$bench_dll" --url "$started_url" --backend postgres-redis --scenario heartbeat-hot --rate "$profile_rate" \
  --duration "$profile_seconds" --warmup 30 --hot-seats "$hot_seats" --hot-sessions "$hot_sessions" \
  --json "$results/profile.json" >"$results/bench-profile.out" 2>"$results/bench-profile.log" &
profile_bench=$!
bench_wait_setup "$results/bench-profile.log"
# 30 s of warm-up: the run of 2026-12-03 profiled from 5 s after the setup, and a third of the server's samples were
# the runtime's tiered compiler (".NET Tiered Com" thread) compiling the heartbeat's path again, optimized.
sleep 32 # warm-up and the first measured seconds
hz="$(getconf CLK_TCK)"; window=$(( profile_seconds - 4 > 3 ? profile_seconds - 4 : 3 ))
# shellcheck disable=SC2046
before=("$(cpu_ticks "${server_pids[@]}")" "$(cpu_ticks $(postgres_pids))" "$(cpu_ticks "$redis_pid")" "$(cpu_ticks "$profile_bench")")
if command -v perf >/dev/null 2>&1; then
  perf record -F 499 -g -p "${server_pids[0]}" -o "$work/perf.data" -- sleep "$window" >/dev/null 2>&1 || true
else
  sleep "$window"
fi
# shellcheck disable=SC2046
after=("$(cpu_ticks "${server_pids[@]}")" "$(cpu_ticks $(postgres_pids))" "$(cpu_ticks "$redis_pid")" "$(cpu_ticks "$profile_bench")")
wait "$profile_bench" || { cat "$results/bench-profile.log" >&2; exit 1; }
names=("server (1 process)" "PostgreSQL (all its processes: write-behind flushes, sweeps)" "Redis" "load generator")
for i in 0 1 2 3; do
  awk -v n="${names[$i]}" -v d="$(( after[i] - before[i] ))" -v hz="$hz" -v w="$window" -v r="$profile_rate" \
    'BEGIN { cpu = d / hz; printf "| %s | %.1f | %.0f %% | %.0f |\n", n, cpu, 100 * cpu / w, 1e6 * cpu / (w * r) }' >>"$profile_cpu"
done
if [ -s "$work/perf.data" ]; then
  {
    echo "By shared object (% of the server's samples):"
    # (|| true: head closing the pipe early is not a failure)
    perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -n 8 || true
    echo
    echo "Hottest symbols:"
    perf report -i "$work/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep '%' | head -n 25 \
      | sed -E 's/\[OptimizedTier1\]|\[Optimized\]|\[Tier0\]|\[Tier1\]//g; s/\((class|valuetype|string|int32|bool|object|native)[^)]*\)/(…)/g' | cut -c1-160 || true
  } >"$profile_perf"
else
  echo "perf is not installed: no profile (apt-get install linux-perf)." >"$profile_perf"
fi
stop_servers

# ---- the memory run: heartbeats and churn at once for --soak seconds, server RSS sampled every 10 s ----
soak_rss="$results/soak-rss.txt"; : >"$soak_rss"
log "soak: PostgreSQL + Redis, ${soak_seconds}s of $soak_heartbeats heartbeats/s and $soak_churn churn/s"
fresh_db coditect; rcli FLUSHALL >/dev/null
start_server Postgres "$(pg_conn coditect)" "$results/server-soak.log" "ConnectionStrings__Redis=127.0.0.1:$redis_port"
soak_pid="${server_pids[0]}"
# The memory run judges errors and memory; its latency bound is loose (10 s) so a slow second does not hide the verdict.
soak_flags=(--url "$started_url" --backend postgres-redis --warmup 5 --duration "$soak_seconds" --cold-seats "$cold_seats" --max-p99-ms 10000)
dotnet "$bench_dll" "${soak_flags[@]}" --scenario heartbeat-cold --rate "$soak_heartbeats" --cold-licenses "$cold_licenses" \
  --cold-sessions "$cold_sessions" --json "$results/soak-heartbeat.json" >"$results/bench-soak-heartbeat.out" 2>"$results/bench-soak-heartbeat.log" &
soak_heartbeat_bench=$!
dotnet "$bench_dll" "${soak_flags[@]}" --scenario churn-cold --rate "$soak_churn" --cold-licenses 100 --cold-sessions 0 \
  --json "$results/soak-churn.json" >"$results/bench-soak-churn.out" 2>"$results/bench-soak-churn.log" &
soak_churn_bench=$!
bench_wait_setup "$results/bench-soak-heartbeat.log"
soak_start="$(date +%s)"
while kill -0 "$soak_heartbeat_bench" 2>/dev/null || kill -0 "$soak_churn_bench" 2>/dev/null; do
  printf '%s %s\n' "$(( $(date +%s) - soak_start ))" "$(awk '/^VmRSS:/{print $2}' "/proc/$soak_pid/status" 2>/dev/null || echo 0)" >>"$soak_rss"
  sleep 10
done
wait "$soak_heartbeat_bench" || { cat "$results/bench-soak-heartbeat.log" >&2; exit 1; }
wait "$soak_churn_bench" || { cat "$results/bench-soak-churn.log" >&2; exit 1; }
soak_errors="$(cat "$results/bench-soak-heartbeat.log" "$results/bench-soak-churn.log" | grep -c -- '-> FAIL' || true)"
stop_servers

log "SQLite, 1 server process"
mkdir -p "$work/sqlite"
start_server Sqlite "Data Source=$work/sqlite/coditect.db" "$results/server-sqlite-1.log"
run_config sqlite 1 sqlite-1 "$started_url"
stop_servers

log "PostgreSQL, 1 server process"
fresh_db coditect
start_server Postgres "$(pg_conn coditect)" "$results/server-postgres-1.log"
run_config postgres 1 postgres-1 "$started_url"
stop_servers

log "PostgreSQL, 2 server processes"
fresh_db coditect
start_server Postgres "$(pg_conn coditect)" "$results/server-postgres-2a.log"; url1="$started_url"
start_server Postgres "$(pg_conn coditect)" "$results/server-postgres-2b.log"; url2="$started_url"
run_config postgres 2 postgres-2 "$url1,$url2"
stop_servers

log "PostgreSQL + Redis, 1 server process"
fresh_db coditect; rcli FLUSHALL >/dev/null
start_server Postgres "$(pg_conn coditect)" "$results/server-postgres-redis-1.log" "ConnectionStrings__Redis=127.0.0.1:$redis_port"
run_config postgres-redis 1 postgres-redis-1 "$started_url"
stop_servers

log "PostgreSQL + Redis, 2 server processes"
fresh_db coditect; rcli FLUSHALL >/dev/null
start_server Postgres "$(pg_conn coditect)" "$results/server-postgres-redis-2a.log" "ConnectionStrings__Redis=127.0.0.1:$redis_port"; url1="$started_url"
start_server Postgres "$(pg_conn coditect)" "$results/server-postgres-redis-2b.log" "ConnectionStrings__Redis=127.0.0.1:$redis_port"; url2="$started_url"
run_config postgres-redis 2 postgres-redis-2 "$url1,$url2"
stop_servers

same_script="$(rcli SCRIPT EXISTS "$heartbeat_sha" | tr -d '\r')" # 1: the servers ran the script benchmarked above
redis_version="$(rcli INFO server | tr -d '\r' | awk -F: '/^redis_version:/{print $2}')"
services_stop_redis

# ---- report ----
log "writing $out"
soak_verdict() { # one line: RSS after the first minute, at the end, the peak, and the least-squares drift per minute after it
  awk -v secs="$soak_seconds" -v errs="$soak_errors" '
    $1 >= 60 { n++; x = $1 / 60; y = $2 / 1024; sx += x; sy += y; sxx += x * x; sxy += x * y; if (n == 1) first = y; last = y }
    { if ($2 / 1024 > peak) peak = $2 / 1024 }
    END {
      if (n < 3) { printf "soak too short to judge (%s s)", secs; exit }
      slope = (n * sxy - sx * sy) / (n * sxx - sx * sx); mean = sy / n
      # A leak is growth: a drift of +2 MB/min or more fails; a falling RSS (the heap giving memory back) does not.
      shape = slope >= 2 ? "GROWING" : slope <= -2 ? "falling, not growing" : "flat"
      printf "%s s of heartbeats + churn: server RSS %.0f MB after the first minute, %.0f MB at the end, mean %.0f MB, peak %.0f MB, fitted drift %+.1f MB/min; steps with errors: %s → %s",
        secs, first, last, mean, peak, slope, errs, shape (errs == 0 ? " and clean" : ", WITH ERRORS")
    }' "$soak_rss"
}
server_errors() { # count of error/critical log lines and 5xx mentions across server logs
  cat "$results"/server-*.log 2>/dev/null | grep -cE '^([0-9TZ:.-]+ )?(fail|crit):|Exception' || true
}
pg_version="$("$pg_bin/postgres" --version)"
fs_line="$(df -T "$pg_data" | awk 'NR==2{print $2 " on " $1}')"
{
  cat <<EOF
# Benchmarks

Written by \`bench/run.sh$([ "$mode" = quick ] && echo " --quick")\` on $(date -u +%Y-%m-%dT%H:%MZ). Reproduce with the command in
[How to reproduce](#how-to-reproduce); the load generator is described in
[bench/Coditect.Bench/README.md](../bench/Coditect.Bench/README.md). A reading of the numbers (where the time goes,
what would close each gap) is in [performance.md](performance.md), written by hand for a run of this script.

EOF
  if [ "$mode" = quick ]; then
    cat <<EOF
> **This is a \`--quick\` run**: small data (see Settings), two fixed rates per scenario, ${duration}-second steps and
> ${pgbench_seconds}-second pgbench runs. It checks that the benchmark works end to end; its numbers are not the benchmark:
> the "highest zero-error rate" can only be one of the two rates tried, so rates and ratios are lower bounds.
> The quick rates are far below the Redis heartbeat target (8,300/s), so a quick run cannot decide that target: its rows
> say "not tested". Run \`bench/run.sh\` without \`--quick\` for the table the issue asks for.

EOF
  fi
  cat <<EOF
## Machine

| | |
| --- | --- |
| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores visible |
| memory | $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) |
| OS | $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r) |
| disk (PostgreSQL data) | $fs_line |
| load average (1, 5, 15 min) at start / end | $load_at_start / $(cut -d' ' -f1-3 /proc/loadavg) |

Everything runs on this one machine: PostgreSQL, the server process(es) and the load generator share its cores.
$(awk -v n="$(nproc)" -v a="${load_at_start%% *}" -v b="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  if (a > n || b > n) printf "\n> **The machine was busy**: a load average above its %d cores means other work (other builds, other\n> tests) shared the CPU during the run. The numbers below are noisy and lower than an idle machine would give.\n", n }')

## Versions

| | |
| --- | --- |
| .NET SDK | $(dotnet --version) |
| PostgreSQL | $pg_version |
| pgbench | $(pgbench --version) |
| Redis | $redis_version (redis-server, redis-benchmark $(redis-benchmark --version 2>/dev/null | awk '{print $2}' || echo '?')) |
| commit | $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo " (with uncommitted changes)") |

## Settings

- **PostgreSQL**: private cluster on a random port, \`$(printf '%s ' "${pg_settings[@]}")\`. Durable:
  \`fsync\`, \`synchronous_commit\` and \`full_page_writes\` are on, so every acquire, heartbeat and release waits for its
  WAL flush. The server connects as a non-superuser role without BYPASSRLS (row-level security applies, as in production).
- **Server**: the published Release build, \`dotnet Coditect.Server.dll --urls http://127.0.0.1:PORT\` run from its folder, with the product's runtime
  settings (server GC, the thread pool's spin limit 0 from runtimeconfig.template.json: idle workers sleep instead of
  spinning on cores the databases and the load generator need),
  \`RateLimits__ApiPerMinute=10000000\` (the setup creates thousands of licences), \`RateLimits__LicensePerMinute=100000000\` and
  \`RateLimits__SessionPerMinute=1000000\` (thousands of protocol calls a second on one licence and one session), \`Licensing__LeaseTtlSeconds=$lease_ttl\`
  (held sessions must outlive the run), \`Plans__enterprise__api_requests_per_hour=1000000000\` (the hourly request quota counts
  every call but never refuses one), a master key generated for the run. SQLite: one file on local disk, WAL mode.
- **Load generator**: fixed arrival rate (open model), latency from each request's intended start, a step passes only with
  **zero** non-2xx, transport errors or dropped requests and every operation's p99 ≤ ${max_p99_ms} ms. $(
  if [ "$mode" = quick ]; then echo "Rates $start_rate and $((start_rate * step_factor))/s per scenario;";
  else echo "Step search from $start_rate/s, ×$step_factor per step (at most $max_steps steps; a failing step is run once more before the search stops, and a rate that passed only on that repeat is marked \"(on a repeat)\"; the steps table lists every run), then $refine bisection step(s);"; fi
  ) each step ${warmup} s warm-up (sent, not recorded) + ${duration} s measured.
- **Data**: hot = 1 licence × $hot_seats seats with $hot_sessions sessions held; cold = $cold_licenses licences × $cold_seats seats
  with $cold_sessions sessions held (spread evenly). $(
  [ "$cold_licenses" -lt 10000 ] && echo "**The issue's cold shape is 10,000 licences; this run used $cold_licenses** (\`--cold-licenses\`) to stay short.")
  Created through the API (register, admin licence creation in parallel, acquires); on PostgreSQL, \`ANALYZE\` once the data
  exists, before the first step (what autovacuum does for a database that has been up a minute or two).
- **pgbench**: \`-M prepared -c $pgbench_clients -j 2 -T $pgbench_seconds\`, the server's own statements transcribed in
  [bench/pgbench/acquire.sql](../bench/pgbench/acquire.sql) (acquire then release: one churn iteration, two durable
  transactions, each one pipelined round trip as the server's NpgsqlBatch) and
  [bench/pgbench/heartbeat.sql](../bench/pgbench/heartbeat.sql), as the server's role, on data seeded by
  [bench/pgbench/seed.sql](../bench/pgbench/seed.sql) in the same shapes. Ratio = HTTP rate ÷ pgbench rate of the same work.
- **Redis**: private \`redis-server\` on a random port, \`--save '' --appendonly no\` (the Redis ledger keeps nothing only
  Redis knows). The PostgreSQL + Redis servers get \`ConnectionStrings__Redis=127.0.0.1:PORT\`, otherwise the same settings
  as the PostgreSQL ones (so acquire and release still run PostgreSQL's batch; heartbeats are answered by Redis and
  written behind, \`Licensing:HeartbeatFlushMilliseconds\` default 250). Redis is flushed before each configuration.
- **redis-benchmark**: \`EVALSHA\` of the \`Heartbeat\` script, its Lua text read from
  [RedisScripts.cs](../src/Coditect.Server/Licensing/Ledger/RedisScripts.cs) at the start of the run (SHA-1 \`$heartbeat_sha\`;
  SCRIPT EXISTS after the server runs: \`$same_script\`, 1 = the servers ran exactly this script), \`-c $redis_clients -n $redis_requests\`, once
  without pipelining (\`-P 1\`) and once with \`-P 16\`, on one licence's keys prepared like the server's: $hot_sessions live
  sessions whose leases end before the new expiry, hardware id and a far-future confirmed (PostgreSQL) expiry, \`ready\` set, a random session per call
  (\`-r $hot_sessions\`), margin ${margin_ms} ms (the server's for this TTL). Every call takes the full path (ZSCORE, two HGET,
  \`ZADD XX\`) and answers \`=<hardware>\` (checked before; no lease lost and no Redis error, checked after). The script
  touches one licence's keys only, so its cost does not depend on the number of licences: the same limit serves the hot and
  the cold rows. **The Redis heartbeat rows' limit is the \`-P 16\` rate** (the higher one, what Redis itself executes
  here; StackExchange.Redis pipelines every node's calls on one connection); ratio = HTTP heartbeat rate ÷ that.

## Results

Each row: the highest offered rate at which the scenario had zero errors and p99 within the bound, and the latencies
measured at that rate. "first failing step" is the next rate tried and why it failed.

EOF
  summary_header
  cat "$summary"
  cat <<EOF

### The machine's limit (pgbench, same SQL, same shapes)

Rates are transactions/s, except the churn rows: churn iterations (acquire + release) per second. churn-hot runs the
server's grouped batch, $hot_group acquires and their $hot_group releases in one transaction
([bench/pgbench/group.sh](../bench/pgbench/group.sh)); its mean latency is a whole group's.

| scenario | pgbench script | rate (/s) | mean latency |
| --- | --- | --: | --: |
EOF
  for name in heartbeat-hot hot-row churn-hot churn-hot-single heartbeat-cold churn-cold; do
    printf '| %s | %s, %s clients | %s | %s ms |\n' "$name" "${pgbench_script_of[$name]}" "${pgbench_clients_of[$name]}" "${pgbench_tps[$name]}" \
      "$(awk '/^latency average/{print $4; exit}' "$results/pgbench-$name.txt")"
  done
  printf '| heartbeat (PostgreSQL + Redis rows) | redis-benchmark EVALSHA Heartbeat, -c %s -P 1 | %s | p99 %s ms |\n' "$redis_clients" "${redis_rps[1]}" "${redis_p99[1]}"
  printf '| heartbeat (PostgreSQL + Redis rows) | redis-benchmark EVALSHA Heartbeat, -c %s -P 16 | %s | p99 %s ms (per 16-call batch) |\n' "$redis_clients" "${redis_rps[16]}" "${redis_p99[16]}"
  cat <<EOF

### Targets (issues 4 and 17)

| target | measured |
| --- | --- |
| heartbeats ≥ 8,300/s sustained with Redis, p99 ≤ 25 ms | $(awk -F' *[|] *' '$2 == "postgres-redis" && $4 ~ /^heartbeat/ {
    sub(/ \(.*/, "", $4); printf "%s ×%s %s: highest zero-error rate %s, p99 %s ms there (%s of redis EVALSHA) → %s; ", $2, $3, $4, $6, $10, $15, $16 }' "$summary") |
| acquire on PostgreSQL ≥ 60 % of the pgbench rate of its transaction | see the churn rows' ratio above (PostgreSQL) |
| hot licence (issue 17 §3): the acquire batch ≥ 40 % of one hot row's update rate | churn-hot ${pgbench_tps[churn-hot]}/s ÷ hot-row ${pgbench_tps[hot-row]}/s = $(awk -v a="${pgbench_tps[churn-hot]}" -v b="${pgbench_tps[hot-row]}" 'BEGIN { r = a / b * 100; printf "%.0f %% → %s", r, (r >= 40 ? "met" : "missed") }') (one call a transaction: churn-hot-single ${pgbench_tps[churn-hot-single]}/s) |
| hot licence: the HTTP acquire ≥ 60 % of that batch | see the churn-hot rows' ratio above (PostgreSQL) |
| heartbeat on PostgreSQL ≥ 70 % of the pgbench rate of its statement | see the heartbeat rows' ratio above (PostgreSQL) |
| zero errors at the reported rates | by construction: a rate is reported only if its step had zero errors |
| memory flat over a 10-minute run; no stall drops (issue 17 §4) | $(soak_verdict) |
| SQLite (issue 17 §1): heartbeat, acquire and release ≥ 50 % of a single-writer loop of the same statements, p99 ≤ 25 ms | [SQLite ledger](#sqlite-ledger) below (bench/sqlite.sh, after this part in a full run) |
| Redis heartbeats (issue 17 §2): 8,300/s on one node, p99 ≤ 25 ms, beside the Redis script called directly and the load generator's CPU | [Redis heartbeats](#redis-heartbeats) below (bench/redis.sh, after this part in a full run) |

### Every step

$(steps_header)
EOF
  cat "$steps"
  cat <<EOF

## Where the time goes

**CPU per heartbeat, by process** (PostgreSQL + Redis, one server process, heartbeat-hot at a fixed ${profile_rate}/s with
$hot_sessions sessions, so each write-behind flush carries about as many distinct sessions as heartbeats): CPU ticks of
each process over the same measured interval (/proc/PID/stat, user + system), divided by the heartbeats sent in it.
The sum is what one heartbeat costs this machine; ${nproc_count} cores give $(( nproc_count * 1000000 )) µs of CPU a second.

| process | CPU s | CPU (% of one core) | µs of CPU per heartbeat |
| --- | --: | --: | --: |
$(cat "$profile_cpu")

**The server's profile** over the same interval (\`perf record -F 499 -g\` on the server process; the runtime writes a
perf map, \`DOTNET_PerfMapEnabled=1\`, so JIT-compiled methods have names; kernel time is the network stack and
scheduling):

\`\`\`
$(cat "$profile_perf")
\`\`\`

**Memory run**: $(soak_verdict). RSS samples (seconds since the heartbeats started, MB):
$(awk '{ printf "%s%s s %.0f", (NR > 1 ? ", " : ""), $1, $2 / 1024 } END { print "" }' "$soak_rss")

**CPU seconds per process group over each configuration's whole run** (setup included), from /proc/PID/stat
(user + system): the server process(es), every PostgreSQL process, and the load generator. Together against
wall-clock × $(nproc) cores this shows whether the box ran out of CPU and who used it.

| backend | server processes | wall s | server CPU s | PostgreSQL CPU s | Redis CPU s | load generator CPU s |
| --: | --: | --: | --: | --: | --: | --: |
EOF
  cat "$cpu"
  cat <<EOF

**The statements PostgreSQL spent its time on** during each PostgreSQL configuration (pg_stat_statements, top 6 by
total execution time; execution time only, the WAL flush at commit is not in it). Time in
\`SELECT id FROM licenses WHERE key_hash = \$1 FOR NO KEY UPDATE\` is almost all waiting for the licence row lock, which the
previous group of the same licence holds until its commit, WAL flush included: one licence's calls commit one group
after another, each group holding the calls that waited on a node (docs/adr/0023-licence-lock-groups.md; compare
pgbench churn-hot-single, one call a transaction, with churn-hot, grouped, above).

| configuration | calls | total s | mean ms | statement |
| --- | --: | --: | --: | --- |
EOF
  cat "$statements"
  cat <<EOF

Server log lines at level fail/crit or with an exception, over all runs: $(server_errors).

### The Redis mode under load

What Redis executed during each PostgreSQL + Redis configuration (\`INFO commandstats\`, reset before each; setup
included) and its errors (\`INFO errorstats\`; none listed = none):

| configuration | command | calls | µs per call | failed calls |
| --- | --- | --: | --: | --: |
$(awk '{ split($2, a, ":"); cmd = a[1]; sub(/^cmdstat_/, "", cmd); n = split(a[2], kv, ","); delete f
  for (i = 1; i <= n; i++) { split(kv[i], p, "="); f[p[1]] = p[2] }
  if (cmd ~ /^errorstat_/) printf "| %s | error %s | %s | | |\n", $1, cmd, f["count"]
  else printf "| %s | %s | %s | %s | %s |\n", $1, cmd, f["calls"], f["usec_per_call"], f["failed_calls"] }' "$redis_stats")

Each server's \`/health/ready\` at the end of its configuration (the Redis ledger's counters: \`fallbacks\` = Redis calls
that failed and were served or skipped by PostgreSQL, \`rebuilds\` = licence caches loaded from PostgreSQL,
\`repaired\`, \`pending_heartbeats\` = write-behind queue):

\`\`\`
$(sed 's#http://127.0.0.1:[0-9]*#server#' "$redis_health")
\`\`\`

Warnings in the PostgreSQL + Redis servers' logs (first line of each message, counted):
$(w="$(cat "$results"/server-postgres-redis-*.log 2>/dev/null | grep -A1 -E '^([0-9TZ:.-]+ )?warn:' | grep -vE '^([0-9TZ:.-]+ )?warn:|^--' | sed 's/^ *//' | cut -c1-110 \
     | sort | uniq -c | sort -rn | head -n 8 | sed 's/^ *\([0-9]*\) \(.*\)/- \1 × `\2`/')"; [ -n "$w" ] && echo "$w" || echo "none.")

## How to reproduce

On a fresh clone, on a machine with the .NET SDK of global.json, PostgreSQL 15 server binaries
(/usr/lib/postgresql/15/bin) and redis-server/redis-benchmark (both installed from apt if missing), as root or a user
with sudo:

\`\`\`sh
bench/run.sh            # the full run, about an hour on 2 cores (10 minutes of it the memory run), then the console (10-15 minutes), the SQLite ledger and the Redis heartbeats (10 minutes each); rewrites docs/benchmarks.md
bench/run.sh --quick    # about 3 minutes after the build: checks that everything works
bench/run.sh --help     # durations, rates, data sizes, pgbench settings
bench/run.sh --only console     # the console's pages only (issue 11, a few minutes): rewrites the Console section alone
bench/run.sh --only licensing   # everything but the console: rewrites this generated part, keeps the sections after it
\`\`\`

The load generator alone against a server you run: see [bench/Coditect.Bench/README.md](../bench/Coditect.Bench/README.md).
EOF
  # The sections after the generated part are kept: "## Console" (bench/run.sh --only console, or the console part of
  # the full run, which rewrites it below), "## Sign-in" (bench/signin.sh, by hand), and whatever follows them.
  if [ -f "$out" ]; then
    kept="$(awk '$0 == "## How to reproduce" { after = 1; next } after && /^## / { on = 1 } on' "$out")"
    [ -n "$kept" ] || kept="$(sed -n '/^## \(Console\|Sign-in\)$/,$p' "$out")"
    [ -n "$kept" ] && printf '\n%s\n' "$kept"
  fi
} >"$out.tmp"
mv "$out.tmp" "$out"
log "done: $out"
if [ "$run_console" = 1 ]; then
  console_area
fi
# The full run goes on with issue 17's own sections (each measures its limit in its own run, and rewrites only its
# section of the file written above). Each script builds again, a no-op after the build above.
if [ -z "$only" ]; then
  quick_flag=(); [ "$mode" = quick ] && quick_flag=(--quick)
  # BENCH_COMMAND: each section's "Written by" names this command, the one that ran it.
  BENCH_COMMAND="bench/run.sh${quick_flag[*]:+ --quick} (its SQLite part)" "$root/bench/sqlite.sh" "${quick_flag[@]}" --out "$out"
  BENCH_COMMAND="bench/run.sh${quick_flag[*]:+ --quick} (its Redis part)" "$root/bench/redis.sh" "${quick_flag[@]}" --out "$out"
fi
