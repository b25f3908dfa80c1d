#!/usr/bin/env bash
# The embedded SQLite default's lease protocol against the machine's own limit (issue 17 §1), on its own:
# bench/run.sh --only sqlite runs this script. Builds in Release, starts one Coditect.Server on a fresh SQLite file
# (WAL, synchronous = FULL: the server's settings), drives heartbeat-hot and churn-hot (1 licence x 10,000 seats,
# 5,000 held) with bench/Coditect.Bench at fixed arrival rates in a step search (p99 bound 25 ms), stops the server,
# then runs `Coditect.Bench sqlite-loop` on the same file: the ledger's own statements in a single-writer loop, one call
# per transaction, at the same durability. Reports each rate as a ratio to that loop (target >= 50 %, p99 <= 25 ms), with
# the CPU the server and the load generator used. Rewrites only the "## SQLite ledger" section of docs/benchmarks.md.
#
# Usage: bench/sqlite.sh [--quick] [--duration S] [--warmup S] [--start-rate R] [--loop-seconds S] [--out FILE] [--keep]
#   --quick   200 held sessions, 3-second steps: checks that the script works; its numbers are not the benchmark.
# Traffic goes to 127.0.0.1 only; every process started here is stopped by its own pid.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }

mode=full; duration=10; warmup=3; start_rate=200; max_steps=6; refine=2; loop_seconds=10; hot_sessions=5000; max_p99_ms=25
out="$root/docs/benchmarks.md"; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick; duration=3; warmup=1; max_steps=3; refine=0; loop_seconds=3; hot_sessions=200 ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --start-rate) start_rate="$2"; shift ;;
    --loop-seconds) loop_seconds="$2"; shift ;;
    --out) out="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u +%Y-%m-%dT%H:%MZ)"
work="$(mktemp -d /tmp/coditect-bench-sqlite.XXXXXX)"
results="$work/results"; mkdir -p "$results" "$work/data"
. "$root/scripts/services.sh" # free_port
. "$root/bench/lib.sh"

cleanup() {
  stop_server
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building in Release ($mode run)"
cd "$root"
dotnet publish src/Coditect.Server -c Release -o "$work/server" -nologo -v quiet >"$work/build.log" 2>&1 \
  && dotnet publish bench/Coditect.Bench -c Release -o "$work/bench" -nologo -v quiet >>"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }

database="$work/data/coditect.db"
port="$(free_port)"
# From its own folder, as the Dockerfile runs it (appsettings.json there keeps request logging at Warning). The lease
# TTL is an hour so the held sessions outlive setup and run; the rate limits are out of the way.
(cd "$work/server" && exec env Database__Provider=Sqlite "ConnectionStrings__Database=Data Source=$database" \
  "Secrets__MasterKey=$(head -c 32 /dev/urandom | base64)" RateLimits__ApiPerMinute=10000000 RateLimits__SignInPerMinute=1000000 \
  RateLimits__LicensePerMinute=100000000 RateLimits__SessionPerMinute=1000000 Licensing__LeaseTtlSeconds=3600 \
  Plans__enterprise__api_requests_per_hour=1000000000 dotnet Coditect.Server.dll --urls "http://127.0.0.1:$port") \
  >"$results/server.log" 2>&1 &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  curl -fsS "$url/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$results/server.log" >&2; exit 1; }
  sleep 0.5
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz="$(getconf CLK_TCK)"
log "SQLite, 1 server process: heartbeat-hot and churn-hot, step search from $start_rate/s, p99 bound $max_p99_ms ms"
server_before="$(ticks "$server_pid")"
/usr/bin/time -f "%U %S" -o "$results/bench-cpu.txt" \
  dotnet "$work/bench/Coditect.Bench.dll" --url "$url" --backend sqlite --pids "$server_pid" --scenario heartbeat-hot,churn-hot \
  --search --start-rate "$start_rate" --step-factor 2 --max-steps "$max_steps" --refine "$refine" --duration "$duration" \
  --warmup "$warmup" --max-p99-ms "$max_p99_ms" --hot-seats 10000 --hot-sessions "$hot_sessions" \
  --json "$results/http.json" --markdown "$results/rows.md" --steps-markdown "$results/steps.md" \
  >"$results/bench.out" 2>"$results/bench.log" || { cat "$results/bench.log" >&2; exit 1; }
server_cpu="$(echo "($(ticks "$server_pid") - $server_before) / $hz" | bc -l)"
bench_cpu="$(awk '{print $1 + $2}' "$results/bench-cpu.txt")"
grep -E '^\[bench\]' "$results/bench.log" >&2 || true
stop_server

log "single-writer loop on the same file, ${loop_seconds}s per call type"
dotnet "$work/bench/Coditect.Bench.dll" sqlite-loop --database "$database" --seconds "$loop_seconds" --json "$results/loop.json" >&2

python3 - "$results" "$server_cpu" "$bench_cpu" >"$results/verdict.md" <<'EOF'
import json, sys
results, server_cpu, bench_cpu = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
http = json.load(open(f"{results}/http.json"))
loop = json.load(open(f"{results}/loop.json"))
limits = {"heartbeat-hot": ("heartbeat", loop["heartbeats_per_second"]), "churn-hot": ("acquire + release", loop["churn_per_second"])}
print("| scenario | loop's call | single-writer loop (/s) | server: highest rate with zero errors, p99 ≤ 25 ms (/s) | p99 ms at that rate | ratio | target ≥ 50 % |")
print("| --- | --- | --: | --: | --- | --: | --- |")
for s in http["scenarios"]:
    name, limit = limits[s["name"]]
    best = s["highest_zero_error_rate"] or 0
    step = next((x for x in s["steps"] if x["passed"] and x["offered_rate"] == best), None)
    p99 = " / ".join(f'{op["name"]} {op["latency_ms"]["p99"]:.1f}' for op in step["operations"]) if step else ""
    ratio = best / limit if limit else 0
    print(f'| {s["name"]} | {name} | {limit:,.0f} | {best:,.0f} | {p99} | {ratio:.0%} | {"met" if ratio >= 0.5 else "**missed**"} |')
wall = sum(len(s["steps"]) for s in http["scenarios"]) * (http["duration_seconds"] + http["warmup_seconds"] + 1)
print()
print(f"CPU over the whole HTTP run (setup and every step): server {server_cpu:.0f} s, load generator {bench_cpu:.0f} s "
      f"(the load generator's share: {bench_cpu / (server_cpu + bench_cpu):.0%} of the two). "
      f"Loop settings: journal_mode={loop['journal_mode']}, synchronous={loop['synchronous']}, {loop['live_sessions']:,} live sessions.")
EOF

command="${BENCH_COMMAND:-bench/run.sh --only sqlite$([ "$mode" = quick ] && echo " --quick" || true)}"
quick_note=""
[ "$mode" = quick ] && quick_note="> **A \`--quick\` run**: $hot_sessions held sessions and ${duration}-second steps. It checks that the script works; its numbers are not the benchmark."$'\n\n'
{
  cat <<EOT
## SQLite ledger

Written by \`$command\` (or \`bench/sqlite.sh\`) on $started_at; the rest of this file is not rewritten by it.
Issue 17 §1: heartbeat, acquire and release on the embedded SQLite default at ≥ 50 % of a single-writer loop of the
same statements at the same durability, measured in the same run, with p99 ≤ 25 ms at that rate.

${quick_note}| | |
| --- | --- |
| machine | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) |
| load average (1, 5, 15 min) at start / end | $load_at_start / $(cut -d' ' -f1-3 /proc/loadavg) |
| commit | $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo " (with uncommitted changes)") |
| command | \`$command\` (options: \`bench/sqlite.sh --help\`) |

**The server**: one process on a fresh SQLite file (WAL, \`synchronous = FULL\`: every commit waits for the log's
fsync), the data made through the API (1 licence × 10,000 seats, $hot_sessions held), then each scenario at fixed
arrival rates (open model, ${warmup} s warm-up, ${duration} s measured per step), doubling from $start_rate/s until a step
fails twice, then bisected. heartbeat-hot heartbeats the held sessions in turn; churn-hot acquires a seat for a new
machine and releases it (the loop's acquire + release pair is one churn iteration).
**The loop** (\`Coditect.Bench sqlite-loop\`, bench/Coditect.Bench/SqliteLoop.cs): after the server stopped, on the
file it left, one thread on one connection runs the statements of the server's ledger (SqliteLedgerSql's), one call
per \`BEGIN IMMEDIATE\` ... \`COMMIT\`, at the same durability: the machine's single-writer limit for that work, with
no HTTP, no JSON, no signing and no batching. The server can pass it: its writer commits many calls at once (one fsync
for all), which is what the loop, one commit per call, does not do.

$(cat "$results/verdict.md")

$(summary_header)
$(cat "$results/rows.md")

Every step:

$(steps_header)
$(cat "$results/steps.md")

EOT
} >"$results/section.md"

replace_section "## SQLite ledger" "$results/section.md" "$out"
log "sqlite: wrote the ## SQLite ledger section of $out"
