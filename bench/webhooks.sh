#!/usr/bin/env bash
# Webhook delivery, end to end (issue 15: one node delivers >= 500 webhooks/s to a local receiver). Everything on
# 127.0.0.1: a private durable PostgreSQL (fsync and synchronous_commit on, as bench/run.sh), one Coditect.Server
# (the Release build, default webhook settings but Webhooks:AllowPrivateNetworks) and bench/Coditect.Bench's receiver
# (Kestrel; it verifies every signature and answers 200). One endpoint subscribes to every event type.
#
# Events: one licence is created through the API (license.created), then N more events are raised exactly as the
# server's Outbox.RaiseAsync stores them (the organization's next outbox_sequences numbers, that event's type and data),
# each batch in its own transaction followed by the NOTIFY a commit sends. Two runs:
#   burst  N events in one transaction: the pipeline's capacity (outbox -> fan-out -> sender -> receiver). Its
#          latencies are queueing: the last event waits for all the others.
#   paced  N events at --rate per second (default 500, the target) in batches every 100 ms: the latency of one
#          delivery when the node keeps up.
# Reported per run: deliveries/s from the first event raised to the last delivery received, and p50/p99/max of the
# event-to-delivery latency (arrival at the receiver minus the event's timestamp), the CPU time per delivery of the
# server, PostgreSQL and the receiver (from /proc), and the rate those three would reach with every core to themselves
# (cores x 1000 / their ms per delivery): on a shared, busy machine the measured rate is lower. Prints Markdown rows.
#
# Usage: bench/webhooks.sh [--events N] [--rate R] [--no-publish] [--keep]   (bench/run.sh --only webhooks: defaults)
#   --events  events per run (default 20000); --rate  the paced run's rate (500/s); --keep  keep the work folder.
#   --no-publish  run the Release builds in bin/ (dotnet build -c Release first) instead of publishing fresh copies.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events=20000; rate=500; keep=0; publish=1
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --keep) keep=1 ;;
    --no-publish) publish=0 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '[webhooks] %s\n' "$*" >&2; }

work="$(mktemp -d /tmp/coditect-webhooks.XXXXXX)"
chmod 755 "$work"
server=""; receiver=""
. "$root/scripts/services.sh"
cleanup() {
  local pid
  for pid in $receiver $server; do kill "$pid" 2>/dev/null || true; done
  for pid in $receiver $server; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  services_stop
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$root"
server_dir="$work/server"; bench_dir="$work/bench"
if [ "$publish" = 1 ]; then
  log "building in Release"
  dotnet publish src/Coditect.Server -c Release -o "$server_dir" -nologo -v quiet >"$work/build.log" 2>&1 \
    && dotnet publish bench/Coditect.Bench -c Release -o "$bench_dir" -nologo -v quiet >>"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; exit 1; }
else
  server_dir="$root/src/Coditect.Server/bin/Release/net10.0"; bench_dir="$root/bench/Coditect.Bench/bin/Release/net10.0"
fi

# Durable, sized as bench/run.sh sizes it for a 2-core box.
services_start_postgres "$work" durable -c shared_buffers=512MB -c wal_buffers=16MB -c max_wal_size=4GB \
  -c checkpoint_timeout=30min -c synchronous_commit=on -c fsync=on || exit 1
psql_admin -d postgres -c "create role coditect login nosuperuser nobypassrls nocreatedb nocreaterole" \
  -c "create database coditect owner coditect"

port="$(free_port)"; url="http://127.0.0.1:$port"
(
  cd "$server_dir"
  exec env Database__Provider=Postgres "ConnectionStrings__Database=Host=127.0.0.1;Port=$pg_port;Database=coditect;Username=coditect" \
    "Secrets__MasterKey=$(head -c 32 /dev/urandom | base64)" RateLimits__ApiPerMinute=10000000 RateLimits__SignInPerMinute=1000000 \
    Webhooks__AllowPrivateNetworks=true Plans__enterprise__api_requests_per_hour=1000000000 dotnet Coditect.Server.dll --urls "$url"
) >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -fs "$url/health/ready" >/dev/null 2>&1 && break; kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
curl -fs "$url/health/ready" >/dev/null || { cat "$work/server.log" >&2; log "the server did not become ready"; exit 1; }

post() { # path bearer json
  curl -fsS -X POST "$url$1" -H 'Content-Type: application/json' ${2:+-H "Authorization: Bearer $2"} -d "$3"
}
tokens="$(post /api/v1/auth/register "" '{"email":"bench@example.com","password":"correct horse battery staple","name":"Bench","organization_name":"Webhook bench"}')"
token="$(jq -r .access_token <<<"$tokens")"; org="$(jq -r .organization.slug <<<"$tokens")"
receiver_port="$(free_port)"
secret="$(post "/api/v1/orgs/$org/webhooks" "$token" "{\"url\":\"http://127.0.0.1:$receiver_port/hooks\",\"event_types\":[]}" | jq -r .secret)"

# Statements that raise $1 events as Outbox.RaiseAsync does, then signal the dispatchers as a commit does.
raise_sql() {
  cat <<SQL
BEGIN;
WITH source AS (SELECT tenant_id, type, data FROM outbox WHERE type = 'license.created' ORDER BY id LIMIT 1),
     numbers AS (UPDATE outbox_sequences s SET next_seq = s.next_seq + $1 FROM source
                 WHERE s.tenant_id = source.tenant_id RETURNING s.next_seq)
INSERT INTO outbox (tenant_id, seq, type, data, created_at)
SELECT source.tenant_id, numbers.next_seq - $1 + g, source.type, source.data, now()
FROM source, numbers, generate_series(1, $1) AS g;
SELECT pg_notify('coditect_outbox', '1');
COMMIT;
SQL
}

cpu_ticks() { # pids... -> utime+stime clock ticks summed (0 for a pid that is gone)
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
postgres_pids() { # our cluster only: the postmaster and its children
  local postmaster; postmaster="$(head -n 1 "$pg_data/postmaster.pid")"
  echo "$postmaster $(pgrep -P "$postmaster" | tr '\n' ' ')"
}
per_delivery() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$events" 'BEGIN { printf "%.2f", t * 1000 / hz / n }'; }
start_receiver() { # label expect
  dotnet "$bench_dir/Coditect.Bench.dll" webhook-receiver --port "$receiver_port" --secret "$secret" --expect "$2" --timeout 300 \
    >"$work/$1.json" 2>"$work/$1.log" &
  receiver=$!
  for _ in $(seq 1 100); do grep -q listening "$work/$1.log" 2>/dev/null && break; sleep 0.1; done
}
run() { # label [events] -> one Markdown row
  local label="$1" events="${2:-$events}" result server0 pg0 receiver0 server1 pg1 receiver1 load
  start_receiver "$label" "$events"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  server0="$(cpu_ticks "$server")"; pg0="$(cpu_ticks $(postgres_pids))"; receiver0="$(cpu_ticks "$receiver")"
  if [ "$label" != paced ]; then
    raise_sql "$events" | psql_admin -d coditect >/dev/null
  else
    local batch=$((rate / 10)) i=0
    {
      echo "SELECT extract(epoch from clock_timestamp()) AS t0 \\gset"
      while [ $((i * batch)) -lt "$events" ]; do
        raise_sql "$batch"
        i=$((i + 1))
        echo "SELECT pg_sleep(greatest(0, :t0 + $i * 0.1 - extract(epoch from clock_timestamp())));"
      done
    } | psql_admin -d coditect >/dev/null
  fi
  # The receiver exits when done: its ticks are read just before (it is the last to finish).
  while ! grep -q per_second "$work/$label.json" 2>/dev/null && kill -0 "$receiver" 2>/dev/null; do
    receiver1="$(cpu_ticks "$receiver")"; sleep 0.2
  done
  server1="$(cpu_ticks "$server")"; pg1="$(cpu_ticks $(postgres_pids))"
  wait "$receiver" || { cat "$work/$label.log" "$work/$label.json" >&2; log "$label: not every delivery arrived"; exit 1; }
  receiver=""
  result="$(cat "$work/$label.json")"
  # The server's view must agree: every delivery succeeded.
  local pending
  pending="$(psql_admin -d coditect -tAc "select count(*) from webhook_deliveries where status <> 'succeeded'")"
  [ "$pending" = 0 ] || { log "$label: $pending deliveries not succeeded"; exit 1; }
  local server_ms pg_ms receiver_ms
  server_ms="$(per_delivery $((server1 - server0)))"; pg_ms="$(per_delivery $((pg1 - pg0)))"
  receiver_ms="$(per_delivery $((${receiver1:-$receiver0} - receiver0)))"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$events" \
    "$(jq -r .per_second <<<"$result")" "$(jq -r .seconds <<<"$result")" "$(jq -r .p50_ms <<<"$result")" \
    "$(jq -r .p99_ms <<<"$result")" "$(jq -r .max_ms <<<"$result")" "$server_ms" "$pg_ms" "$receiver_ms" \
    "$(awk -v a="$server_ms" -v b="$pg_ms" -v c="$receiver_ms" -v n="$(nproc)" 'BEGIN { printf "%.0f", n * 1000 / (a + b + c) }')" "$load"
}

log "PostgreSQL 127.0.0.1:$pg_port, server $url, receiver 127.0.0.1:$receiver_port; $events events per run"
echo "| run | deliveries | deliveries/s (first event to last delivery) | seconds | p50 ms | p99 ms | max ms | CPU ms per delivery: server | PostgreSQL | receiver | CPU ceiling, deliveries/s on $(nproc) cores | load average at start |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
# The licence's own event first (the one the runs copy), so that each run's receiver counts only its run's events.
start_receiver first 1
post "/api/v1/orgs/$org/licenses" "$token" '{"name":"Webhook bench","seats_total":1,"entitlements":["pro"]}' >/dev/null
wait "$receiver" || { cat "$work/first.log" >&2; log "the first event was not delivered"; exit 1; }
receiver=""
# A warm-up burst, not reported: the JIT's tiers settle (the first thousands of deliveries cost twice the CPU).
run warmup-burst 2000 >/dev/null
run burst
run paced
