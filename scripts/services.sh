#!/usr/bin/env bash
# Private PostgreSQL and Redis instances for the test suite, the benchmark and experiments by hand.
#
# Sourced (scripts/test.sh, bench/run.sh):
#   . scripts/services.sh
#   services_start_postgres DIR fast|durable [-c name=value ...]   # sets pg_bin pg_port pg_data; defines as_pg psql_admin
#   services_start_redis DIR                                        # sets redis_port redis_pid
#   services_stop_redis                                             # stops Redis only
#   services_stop                                                   # stops what was started (safe to call twice)
# By hand (leaves both running until "stop"):
#   scripts/services.sh start DIR [fast|durable]   # prints the connection strings as export lines
#   scripts/services.sh stop DIR
# Installs the PostgreSQL server and Redis from apt when missing. As root, PostgreSQL runs as the postgres user.
# "fast" turns fsync, synchronous_commit and full_page_writes off (tests only); "durable" keeps the defaults (on).

services_log() { printf '[services] %s\n' "$*" >&2; }
services_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Below Linux's ephemeral range (32768+), where outgoing connections take their source ports: a port nobody listens on
# can still be bound by one of those. Callers retry on a new port when the bind fails anyway.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port found" >&2; return 1
}

pg_bin=""; pg_port=""; pg_data=""
redis_port=""; redis_pid=""; redis_dir=""

services_find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

services_start_postgres() { # dir fast|durable [-c name=value ...]
  local dir="$1" mode="$2"; shift 2
  pg_bin="$(services_find_pg_bin)"
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    services_log "installing PostgreSQL server from apt"
    services_as_root apt-get update -qq && services_as_root apt-get install -y -qq postgresql >/dev/null || return 1
    pg_bin="$(services_find_pg_bin)"
  fi
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home "$dir" postgres
    as_pg() { runuser -u postgres -- "$@"; }
  else
    as_pg() { "$@"; }
  fi
  pg_data="$dir/pg"
  mkdir -p "$pg_data"
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$pg_data"
  local opts="-c listen_addresses=127.0.0.1 -k $pg_data -c max_connections=300"
  if [ "$mode" = fast ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  while [ $# -gt 0 ]; do opts="$opts $1 $2"; shift 2; done
  as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  local attempt
  for attempt in 1 2 3 4 5; do
    pg_port="$(free_port)" || return 1
    services_log "starting PostgreSQL ($pg_bin, $mode) on 127.0.0.1:$pg_port"
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -w -l "$pg_data/server.log" -o "$opts -p $pg_port" start >/dev/null && return 0
    grep -q "Address already in use" "$pg_data/server.log" || break
    services_log "port $pg_port was taken meanwhile; trying another"
  done
  cat "$pg_data/server.log" >&2; return 1
}

psql_admin() {
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"
}

services_start_redis() { # dir
  redis_dir="$1"
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
    services_log "installing Redis from apt"
    (services_as_root apt-get update -qq && services_as_root apt-get install -y -qq redis-server redis-tools) >/dev/null 2>&1 \
      || { echo "could not install redis-server" >&2; return 1; }
  fi
  local attempt
  for attempt in 1 2 3 4 5; do
    redis_port="$(free_port)" || return 1
    services_log "starting Redis ($(redis-server --version | awk '{print $3}')) on 127.0.0.1:$redis_port"
    rm -f "$redis_dir/redis.log" "$redis_dir/redis.pid"
    redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
      --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --dir "$redis_dir" \
      || { cat "$redis_dir/redis.log" >&2; return 1; }
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    grep -q "Address already in use" "$redis_dir/redis.log" 2>/dev/null && [ "$attempt" -lt 5 ] \
      || { cat "$redis_dir/redis.log" >&2; return 1; }
    services_log "port $redis_port was taken meanwhile; trying another"
  done
  for _ in $(seq 1 50); do [ -s "$redis_dir/redis.pid" ] && break; sleep 0.1; done
  redis_pid="$(cat "$redis_dir/redis.pid")"
}

# Chromium for the console's browser tests (Playwright drives the Debian build; it cannot download its own).
services_find_chromium() {
  chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
  if [ -z "$chromium_bin" ]; then
    services_log "installing Chromium from apt"
    (services_as_root apt-get update -qq && services_as_root apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || { echo "could not install chromium" >&2; return 1; }
    chromium_bin="$(command -v chromium)"
  fi
}

# promtool (Debian's prometheus package) for the deploy tests: it checks and unit-tests deploy/prometheus/alerts.yaml.
# kubectl (with kustomize) and node are on the machine already; Debian's kubernetes-client is too old to use.
services_find_promtool() {
  promtool_bin="$(command -v promtool || true)"
  if [ -z "$promtool_bin" ]; then
    services_log "installing promtool (prometheus) from apt"
    (services_as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive services_as_root apt-get install -y -qq --no-install-recommends prometheus) \
      >/dev/null 2>&1 || { echo "could not install prometheus (promtool)" >&2; return 1; }
    promtool_bin="$(command -v promtool)"
  fi
}

# nginx for the load-balancer test (deploy/nginx/coditect.conf in front of two nodes). The package would start the
# distribution's own nginx on port 80: a policy-rc.d that refuses service starts (101) keeps it stopped while it installs.
services_find_nginx() {
  nginx_bin="$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)"
  if [ -z "$nginx_bin" ]; then
    services_log "installing nginx from apt"
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      services_as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d' && policy=1
    fi
    (services_as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive services_as_root apt-get install -y -qq --no-install-recommends nginx-light) \
      >/dev/null 2>&1 || { [ -n "$policy" ] && services_as_root rm -f /usr/sbin/policy-rc.d; echo "could not install nginx" >&2; return 1; }
    [ -n "$policy" ] && services_as_root rm -f /usr/sbin/policy-rc.d
    nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
  fi
}

services_stop_redis() {
  if [ -n "$redis_port" ]; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    if [ -n "$redis_pid" ]; then
      for _ in $(seq 1 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$redis_pid" 2>/dev/null || true
    fi
    redis_port=""
  fi
}

services_stop() {
  services_stop_redis
  if [ -n "$pg_bin" ] && [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start)
      dir="${2:?usage: scripts/services.sh start DIR [fast|durable]}"; mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
      services_start_postgres "$dir" "${3:-fast}"
      services_start_redis "$dir"
      echo "$pg_port $redis_port" >"$dir/ports"
      echo "export CODITECT_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres'"
      echo "export CODITECT_TEST_REDIS='127.0.0.1:$redis_port'"
      ;;
    stop)
      dir="${2:?usage: scripts/services.sh stop DIR}"; dir="$(cd "$dir" && pwd)"
      read -r port rport <"$dir/ports"
      redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
      pg_bin="$(services_find_pg_bin)"
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null || true
      else "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null || true; fi
      ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
fi
