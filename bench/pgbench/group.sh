#!/usr/bin/env bash
# bench/pgbench/group.sh N < acquire.sql > grouped.sql
# The server's batch on a hot licence (docs/adr/0023-licence-lock-groups.md): the licence gate sends the acquires and
# releases waiting on one licence as ONE pipelined batch, one transaction, one commit. This writes acquire.sql's
# acquire for N machines, then the release of each, as one pipeline: one pgbench transaction = N churn iterations.
# Each machine gets its own variable (:hw1 ... :hwN) where acquire.sql has :hw.
set -euo pipefail
n="$1"
awk -v n="$n" '
/^\\set kh/ { print; next }
/^\\set hw/ { for (i = 1; i <= n; i++) { line = $0; sub(/hw/, "hw" i, line); print line }; next }
/^\\startpipeline/ { block++; next }
/^\\endpipeline/ { next }
/plan_cache_mode/ { next } # once per batch, below, as the server sends it
block == 1 { acquire[++acquires] = $0 }
block == 2 { release[++releases] = $0 }
function emit(text, i,    line) {
  line = text
  gsub(/:hw([^a-z0-9_]|$)/, ":hw" i "&", line) # ":hw::text" -> ":hw1:hw::text"
  gsub(":hw" i ":hw", ":hw" i, line)           # -> ":hw1::text"
  print line
}
END {
  print "\\startpipeline"
  print "SELECT set_config(\x27plan_cache_mode\x27, \x27force_generic_plan\x27, true);"
  for (i = 1; i <= n; i++) for (j = 1; j <= acquires; j++) emit(acquire[j], i)
  for (i = 1; i <= n; i++) for (j = 1; j <= releases; j++) emit(release[j], i)
  print "\\endpipeline"
}'
