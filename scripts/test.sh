#!/usr/bin/env bash
# Runs the whole test suite against real SQLite, PostgreSQL and Redis.
# Installs and starts what it needs, stops what it started, and ends with one line: "N passed, N failed".
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Auth]
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/coditect-test.XXXXXX)"
chmod 755 "$work"
log() { printf '[test] %s\n' "$*" >&2; }

. "$root/scripts/services.sh"
trap 'services_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# ---- PostgreSQL and Redis: private instances (installed from apt when missing); fsync off for test speed only ----
services_start_postgres "$work" fast || { echo "0 passed, 1 failed"; exit 1; }
export CODITECT_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Pooling=false"
export CODITECT_TEST_PG_BIN="$pg_bin"
services_start_redis "$work" || { echo "0 passed, 1 failed"; exit 1; }
export CODITECT_TEST_REDIS="127.0.0.1:$redis_port"
services_find_chromium || { echo "0 passed, 1 failed"; exit 1; }
export CODITECT_TEST_CHROMIUM="$chromium_bin"
services_find_promtool || { echo "0 passed, 1 failed"; exit 1; }
services_find_nginx || { echo "0 passed, 1 failed"; exit 1; }
export CODITECT_TEST_NGINX="$nginx_bin"
export CODITECT_TEST_PROMTOOL="$promtool_bin"

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
# The fault tests run clusters of server processes under load against lease deadlines of a few seconds: they run on
# their own, after the other projects (which run in parallel), so that another project's load cannot lapse a lease.
run_project() {
  local project="$1" name
  name="$(basename "$project" .csproj)"
  dotnet test "$project" -c Release --no-build -nologo --logger "trx" --results-directory "$results" \
    --collect "XPlat Code Coverage" --settings tests/coverage.runsettings "${extra[@]}" 2>&1 \
    | tee "$work/$name.log" | grep --line-buffered -vE '^\s*$'
  return "${PIPESTATUS[0]}"
}
extra=("$@")
status=0
pids=()
# The SDK's tests stop and restart a server under a live lease and wait for heartbeats to resume: on two cores beside
# the browser tests and Server.Tests that restart outlasted its deadline, so they run after the parallel phase too.
alone=(tests/Coditect.Client.Tests/Coditect.Client.Tests.csproj tests/Coditect.Server.FaultTests/Coditect.Server.FaultTests.csproj)
for project in tests/*/*.Tests.csproj; do # every project but the fault tests (*.FaultTests) and those in "alone"
  [[ " ${alone[*]} " == *" $project "* ]] && continue
  run_project "$project" & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for project in "${alone[@]}"; do
  run_project "$project" || status=1
done

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
# The failed tests by name, last, where a CI log that shows only its tail still shows them.
for trx in "${trx_files[@]}"; do
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | grep -o 'testName="[^"]*"' | sed 's/^testName="/failed: /; s/"$//' || true
done
# Line coverage of the shipped assemblies, merged over every test project (coverlet; docs/benchmarks.md#coverage).
python3 "$root/scripts/coverage.py" "$results" || true
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
