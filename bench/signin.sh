#!/usr/bin/env bash
# What one sign-in costs: latency (hey, one caller at a time, then 8 at once) and the server's CPU time per sign-in
# (user + system time of the server process from /proc, over the measured requests), for one user signing in again
# and again. The password hash dominates both. Everything runs on 127.0.0.1: a private PostgreSQL (fsync off) and
# one server, the published Release build, with the product's default hashing settings.
#
# Usage: bench/signin.sh [--dll PATH/Coditect.Server.dll] [--requests N] [--label TEXT]
#   --dll       the server build to measure (default: src/Coditect.Server/bin/Release/net10.0, built if missing);
#               point it at an older build to compare hash algorithms.
#   --requests  sign-ins per measurement (default 100 one at a time, twice that 8 at once).
# Prints one Markdown table row per measurement. Installs hey from apt when missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dll="$root/src/Coditect.Server/bin/Release/net10.0/Coditect.Server.dll"
requests=100; label="this build"
while [ $# -gt 0 ]; do
  case "$1" in
    --dll) dll="$2"; shift ;;
    --requests) requests="$2"; shift ;;
    --label) label="$2"; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '[signin] %s\n' "$*" >&2; }

command -v hey >/dev/null 2>&1 || { log "installing hey from apt"; apt-get install -y -qq hey >/dev/null; }
if [ ! -f "$dll" ]; then
  log "building the server"
  dotnet build "$root/src/Coditect.Server" -c Release -nologo -v quiet >/dev/null
fi

work="$(mktemp -d /tmp/coditect-signin.XXXXXX)"
server=""
. "$root/scripts/services.sh"
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; services_stop; rm -rf "$work"' EXIT
services_start_postgres "$work" fast
psql_admin -c "CREATE DATABASE coditect_signin"

port="$(free_port)"
url="http://127.0.0.1:$port"
(
  cd "$(dirname "$dll")"
  export Database__Provider=Postgres
  export ConnectionStrings__Database="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=coditect_signin"
  export Secrets__MasterKey="$(head -c 32 /dev/urandom | base64)"
  export RateLimits__SignInPerMinute=1000000
  exec dotnet "$(basename "$dll")" --urls "$url" >"$work/server.log" 2>&1
) &
server=$!
for _ in $(seq 1 120); do curl -fs "$url/health" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$url/health" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

password='correct horse battery staple'
curl -fs -X POST "$url/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"bench@example.com\",\"password\":\"$password\",\"name\":\"Bench\",\"organization_name\":\"Bench\"}" >/dev/null
body="{\"email\":\"bench@example.com\",\"password\":\"$password\"}"
login() { hey -n "$1" -c "$2" -m POST -T application/json -d "$body" "$url/api/v1/auth/login"; }

cpu_ms() { # user + system time of the server process, in ms
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$server/stat"
}
measure() { # requests concurrency
  local before after out
  before="$(cpu_ms)"
  out="$(login "$1" "$2")"
  after="$(cpu_ms)"
  local codes
  codes="$(sed -n '/Status code distribution/,$p' <<<"$out" | grep -E '^ *\[[0-9]+\]' || true)"
  if ! grep -Eq "\\[200\\][[:space:]]+$1 responses" <<<"$codes" || grep -q 'Error distribution' <<<"$out"; then
    echo "$out" >&2; log "not every sign-in answered 200"; exit 1
  fi
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {printf "%.1f", $2}' <<<"$out")"
  p50="$(awk '/ 50% in / {printf "%.0f", $3 * 1000}' <<<"$out")"
  p99="$(awk '/ 99% in / {printf "%.0f", $3 * 1000}' <<<"$out")"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$2" "$1" "$rps" "$p50" "$p99" \
    "$(( (after - before) / $1 ))"
}

log "warming up"
login 20 2 >/dev/null
log "measuring ($requests sign-ins one at a time, $((requests * 2)) eight at once) on $url"
echo "| build | concurrent | sign-ins | sign-ins/s | p50 ms | p99 ms | server CPU ms per sign-in |"
echo "| --- | --: | --: | --: | --: | --: | --: |"
measure "$requests" 1
measure "$((requests * 2))" 8
log "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$server/status"); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
