#!/usr/bin/env bash
# Runs the whole test suite against real SQLite, PostgreSQL and Redis.
# Installs and starts what it needs, stops what it started, and ends with one line: "N passed, N failed".
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Auth]
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/coditect-test.XXXXXX)"
chmod 755 "$work"
log() { printf '[test] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port found" >&2; exit 1
}

pg_bin=""
pg_data="$work/pg"
redis_port=""
cleanup() {
  if [ -n "$pg_bin" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "$redis_port" ]; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# ---- PostgreSQL: the installed server binaries, run as the postgres user when we are root ----
find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
pg_bin="$(find_pg_bin)"
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  log "installing PostgreSQL server from apt"
  as_root apt-get update -qq && as_root apt-get install -y -qq postgresql >/dev/null
  pg_bin="$(find_pg_bin)"
fi
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$work" postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
mkdir -p "$pg_data"
[ "$(id -u)" = 0 ] && chown postgres "$pg_data"
pg_port="$(free_port)"
log "starting PostgreSQL ($pg_bin) on port $pg_port"
as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; echo "0 passed, 1 failed"; exit 1; }
# fsync off is for test speed only; production keeps the defaults.
as_pg "$pg_bin/pg_ctl" -D "$pg_data" -w -l "$pg_data/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_data -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$pg_data/server.log" >&2; echo "0 passed, 1 failed"; exit 1; }
export CODITECT_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Pooling=false"
export CODITECT_TEST_PG_BIN="$pg_bin"

# ---- Redis: from apt when missing, a private instance without persistence ----
if ! command -v redis-server >/dev/null 2>&1; then
  log "installing Redis from apt"
  (as_root apt-get update -qq && as_root apt-get install -y -qq redis-server) >/dev/null 2>&1 \
    || { echo "could not install redis-server" >&2; echo "0 passed, 1 failed"; exit 1; }
fi
redis_port="$(free_port)"
log "starting Redis on port $redis_port"
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
  --pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work" \
  || { cat "$work/redis.log" >&2; echo "0 passed, 1 failed"; exit 1; }
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export CODITECT_TEST_REDIS="127.0.0.1:$redis_port"

# ---- the tests ----
cd "$root"
results="$work/results"
log "building"
if ! dotnet build Coditect.slnx -c Release -nologo -v quiet >"$work/build.log" 2>&1; then
  cat "$work/build.log"
  echo "0 passed, 1 failed"
  exit 1
fi
log "running tests"
dotnet test Coditect.slnx -c Release --no-build -nologo --logger "trx" --results-directory "$results" "$@" 2>&1 \
  | tee "$work/test.log" | grep -vE '^\s*$'
status=${PIPESTATUS[0]}

passed=0; failed=0; skipped=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  num() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(num passed)))
  failed=$((failed + $(num failed) + $(num error) + $(num timeout) + $(num aborted)))
  skipped=$((skipped + $(num notExecuted)))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a test host crashed or a project produced no results
fi
if [ "${#trx_files[@]}" -eq 0 ]; then
  failed=$((failed > 0 ? failed : 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
