#!/usr/bin/env bash
# Redis heartbeats on one node against the machine's own limit, and what a lease token's signature costs (issue 17 §2),
# on their own: bench/run.sh --only redis runs this script. Builds in Release, starts a private durable PostgreSQL and
# a private Redis without persistence, then:
#   1. `Coditect.Bench signature-cost`: the server's signers (ES256, EdDSA, RS256) and the SDK's verifier, per token;
#   2. `Coditect.Bench redis-loop`: the Redis ledger's own heartbeat script called directly by the load generator over
#      one StackExchange.Redis connection (the limit, docs/decisions.md), with its CPU and Redis's;
#   3. one Coditect.Server (PostgreSQL + Redis) per signing algorithm (ES256, then EdDSA), heartbeat-hot (1 licence x
#      10,000 seats, 5,000 held) at fixed arrival rates in a step search with a p99 bound of 25 ms; every step reports
#      the load generator's CPU share and the server's CPU per heartbeat.
# Target: 8,300 heartbeats/s with p99 <= 25 ms. Rewrites only the "## Redis heartbeats" section of docs/benchmarks.md.
#
# Usage: bench/redis.sh [--quick] [--duration S] [--warmup S] [--start-rate R] [--out FILE] [--keep]
#   --quick   200 held sessions, 3-second steps: checks that the script works; its numbers are not the benchmark.
# Traffic goes to 127.0.0.1 only; every process started here is stopped by its own pid.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }

mode=full; duration=10; warmup=3; start_rate=2075; max_steps=4; refine=2; hot_sessions=5000; max_p99_ms=25
loop_seconds=10; sign_seconds=3
out="$root/docs/benchmarks.md"; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick; duration=3; warmup=1; max_steps=2; refine=0; hot_sessions=200; loop_seconds=2; sign_seconds=0.5 ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --start-rate) start_rate="$2"; shift ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u +%Y-%m-%dT%H:%MZ)"
work="$(mktemp -d /tmp/coditect-bench-redis.XXXXXX)"
chmod 755 "$work"
results="$work/results"; mkdir -p "$results"
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
bench() { dotnet "$work/bench/Coditect.Bench.dll" "$@"; }

# Durable PostgreSQL as in bench/run.sh (acquires and the write-behind commit there), the server as a role bound by RLS.
services_start_postgres "$work" durable -c max_connections=300 -c shared_buffers=512MB -c fsync=on -c synchronous_commit=on || exit 1
psql_admin -d postgres -c "create role coditect login nosuperuser nobypassrls nocreatedb nocreaterole"
services_start_redis "$work" || exit 1
redis_pid="$(cat "$work/redis.pid")"

log "signature cost, ${sign_seconds}s per algorithm and measure"
bench signature-cost --seconds "$sign_seconds" >"$results/signatures.jsonl"
log "the limit: the heartbeat script called directly, ${loop_seconds}s"
bench redis-loop --redis "127.0.0.1:$redis_port" --sessions "$hot_sessions" --concurrency 64 --seconds "$loop_seconds" \
  --redis-pid "$redis_pid" >"$results/loop.json"
redis-cli -p "$redis_port" FLUSHALL >/dev/null

: >"$results/rows.md"; : >"$results/steps.md"
for algorithm in ES256 EdDSA; do
  database="bench_redis_$(echo "$algorithm" | tr 'A-Z' 'a-z')"
  psql_admin -d postgres -c "create database $database owner coditect"
  redis-cli -p "$redis_port" FLUSHALL >/dev/null
  port="$(free_port)"
  # New organizations get a key of Signing:LeaseTokenAlgorithm: the load generator's organization signs with it.
  (cd "$work/server" && exec env Database__Provider=Postgres \
    "ConnectionStrings__Database=Host=127.0.0.1;Port=$pg_port;Database=$database;Username=coditect" \
    "ConnectionStrings__Redis=127.0.0.1:$redis_port" "Signing__LeaseTokenAlgorithm=$algorithm" \
    "Secrets__MasterKey=$(head -c 32 /dev/urandom | base64)" RateLimits__ApiPerMinute=10000000 RateLimits__SignInPerMinute=1000000 \
    RateLimits__LicensePerMinute=100000000 RateLimits__SessionPerMinute=1000000 Licensing__LeaseTtlSeconds=3600 \
    Plans__enterprise__api_requests_per_hour=1000000000 dotnet Coditect.Server.dll --urls "http://127.0.0.1:$port") \
    >"$results/server-$algorithm.log" 2>&1 &
  server_pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    curl -fsS "$url/health/ready" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$results/server-$algorithm.log" >&2; exit 1; }
    sleep 0.5
  done
  log "PostgreSQL + Redis, $algorithm tokens: heartbeat-hot, step search from $start_rate/s, p99 bound $max_p99_ms ms"
  bench --url "$url" --backend "postgres-redis $algorithm" --pids "$server_pid" --scenario heartbeat-hot \
    --redis-evalsha "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["calls_per_second"])' "$results/loop.json")" \
    --search --start-rate "$start_rate" --step-factor 2 --max-steps "$max_steps" --refine "$refine" --duration "$duration" \
    --warmup "$warmup" --max-p99-ms "$max_p99_ms" --hot-seats 10000 --hot-sessions "$hot_sessions" \
    --json "$results/http-$algorithm.json" --markdown "$results/rows.md" --steps-markdown "$results/steps.md" \
    >"$results/bench-$algorithm.out" 2>"$results/bench-$algorithm.log" || { cat "$results/bench-$algorithm.log" >&2; exit 1; }
  grep -E '^\[bench\]' "$results/bench-$algorithm.log" >&2 || true
  stop_server
done

python3 - "$results" >"$results/verdict.md" <<'EOF'
import json, sys
results = sys.argv[1]
loop = json.load(open(f"{results}/loop.json"))
limit = loop["calls_per_second"]
print("| tokens | server: highest heartbeat rate with zero errors, p99 ≤ 25 ms (/s) | p99 ms there | limit: the script called directly (/s) | ratio | target: 8,300/s, p99 ≤ 25 ms |")
print("| --- | --: | --: | --: | --: | --- |")
for algorithm in ("ES256", "EdDSA"):
    http = json.load(open(f"{results}/http-{algorithm}.json"))
    s = http["scenarios"][0]
    best = s["highest_zero_error_rate"] or 0
    step = next((x for x in s["steps"] if x["passed"] and x["offered_rate"] == best), None)
    p99 = f'{step["operations"][0]["latency_ms"]["p99"]:.1f}' if step else ""
    print(f'| {algorithm} | {best:,.0f} | {p99} | {limit:,.0f} | {best / limit:.1%} | {"met" if best >= 8300 else "**missed**"} |')
print()
print(f'The limit: {loop["calls"]:,} calls by {loop["concurrency"]} callers, p50 {loop["p50_ms"]:.2f} ms, p99 {loop["p99_ms"]:.2f} ms, '
      f'every one answered as a live lease ({loop["wrong_answers"]} otherwise); the load generator used {loop["load_generator_cores"]:.2f} cores '
      f'and Redis {loop["redis_cores"]:.2f} of the {2} meanwhile ({loop["idle_cores"]:.2f} idle).')
print()
print("| algorithm | sign, one core (µs) | signatures/s, one core | signatures/s, all cores | verify in the SDK (µs) | token (characters) |")
print("| --- | --: | --: | --: | --: | --: |")
for line in open(f"{results}/signatures.jsonl"):
    r = json.loads(line)
    print(f'| {r["algorithm"]} | {r["sign_us"]:.1f} | {r["signs_per_second_one_core"]:,.0f} | {r["signs_per_second_all_cores"]:,.0f} | {r["verify_us"]:.1f} | {r["token_chars"]} |')
EOF

command="${BENCH_COMMAND:-bench/run.sh --only redis$([ "$mode" = quick ] && echo " --quick" || true)}"
quick_note=""
[ "$mode" = quick ] && quick_note="> **A \`--quick\` run**: $hot_sessions held sessions and ${duration}-second steps. It checks that the script works; its numbers are not the benchmark."$'\n\n'
{
  cat <<EOT
## Redis heartbeats

Written by \`$command\` (or \`bench/redis.sh\`) on $started_at; the rest of this file is not rewritten by it.
Issue 17 §2: 8,300 heartbeats/s with p99 ≤ 25 ms on one node with Redis, as a ratio to the Redis path alone, with the
load generator's CPU beside every rate, and what a token's signature costs per algorithm.

${quick_note}| | |
| --- | --- |
| machine | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) |
| load average (1, 5, 15 min) at start / end | $load_at_start / $(cut -d' ' -f1-3 /proc/loadavg) |
| Redis | $(redis-server --version | awk '{print $3}' | sed 's/v=//'), no persistence; StackExchange.Redis $(grep -o 'StackExchange.Redis" Version="[^"]*' "$root/Directory.Packages.props" | cut -d'"' -f3) |
| commit | $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo " (with uncommitted changes)") |
| command | \`$command\` (options: \`bench/redis.sh --help\`) |

**The server**: one process on PostgreSQL (durable) + Redis, per signing algorithm: the load generator's organization
is new, so its key has the server's \`Signing:LeaseTokenAlgorithm\`. Data through the API (1 licence × 10,000 seats,
$hot_sessions held), then heartbeat-hot at fixed arrival rates (open model, ${warmup} s warm-up, ${duration} s measured per
step) from $start_rate/s, doubling until a step fails twice, then bisected. Every heartbeat is answered by Redis (the
ledger's Lua script) with a newly signed token and written behind to PostgreSQL.
**The limit** (\`Coditect.Bench redis-loop\`, bench/Coditect.Bench/RedisLoop.cs): the same load generator calls the same
script (\`RedisScripts.Heartbeat\`, referenced, not copied) with the server's arguments on one licence's keys prepared as
the server's, 64 callers on one StackExchange.Redis connection: the Redis path with no HTTP, JSON, signing or
PostgreSQL. **The CPU column**: over each measured window, the load generator's share of the machine's busy CPU (it
runs on the same two cores as the server, PostgreSQL and Redis) and the server's CPU per heartbeat.

$(cat "$results/verdict.md")

$(summary_header)
$(cat "$results/rows.md")

Every step:

$(steps_header)
$(cat "$results/steps.md")

EOT
} >"$results/section.md"

replace_section "## Redis heartbeats" "$results/section.md" "$out"
log "redis: wrote the ## Redis heartbeats section of $out"
