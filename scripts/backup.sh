#!/usr/bin/env bash
# Backs up a CODITECT PostgreSQL database: a pg_dump archive (custom format) and, beside it, a manifest naming where
# the master key lives (never the key: a backup without its key is useless, and a key inside a backup leaks with it).
#
#   scripts/backup.sh --output DIR --master-key-location TEXT [--master-key-file FILE] [connection]
#
# connection: a libpq connection string or URI (e.g. "host=db port=5432 dbname=coditect user=coditect"); or leave it
# out and set PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD. Run it as the application's role: no superuser or
# BYPASSRLS is needed, the dump opens row-level security to every tenant through the same setting the server's
# background jobs use (app.system=on, Tenancy/README.md). --master-key-location is free text for whoever restores
# ("Secret Manager: projects/p/secrets/coditect-master-key", "vault: kv/coditect"); with --master-key-file (a file
# holding the base64 key, as Secrets:MasterKey) the manifest also records the key's SHA-256 fingerprint, which
# restore.sh checks. pg_dump comes from PG_BIN when set, else from the PATH (it must be 15 or newer).
# Prints the archive's path. Exit codes: 0 done, 1 failed, 2 bad arguments.
set -euo pipefail

usage() { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; exit 2; }
output=""; location=""; key_file=""; connection=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output="${2:-}"; shift 2 ;;
    --master-key-location) location="${2:-}"; shift 2 ;;
    --master-key-file) key_file="${2:-}"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) connection="$1"; shift ;;
  esac
done
[ -n "$output" ] && [ -n "$location" ] || usage
bin="${PG_BIN:+$PG_BIN/}"
mkdir -p "$output"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
archive="$output/coditect-$stamp.dump"
manifest="$output/coditect-$stamp.manifest"

# Row-level security stays on (--enable-row-security, so nothing is dumped past a policy by privilege) and the
# system setting lets the policies show every tenant's rows.
export PGOPTIONS="${PGOPTIONS:-} -c app.system=on"
args=(--format=custom --no-owner --no-privileges --enable-row-security --file="$archive")
[ -n "$connection" ] && args+=(--dbname="$connection")
"${bin}pg_dump" "${args[@]}"

psql_args=(-X -A -t -v ON_ERROR_STOP=1)
[ -n "$connection" ] && psql_args+=(--dbname="$connection")
migrations="$("${bin}psql" "${psql_args[@]}" -c "select string_agg(version, ' ' order by version) from schema_migrations")"
fingerprint=""
if [ -n "$key_file" ]; then
  fingerprint="$(tr -d ' \n\r' < "$key_file" | base64 -d | sha256sum | cut -d' ' -f1)"
fi
{
  echo "created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "archive=$(basename "$archive")"
  echo "archive_sha256=$(sha256sum "$archive" | cut -d' ' -f1)"
  echo "pg_dump=$("${bin}pg_dump" --version)"
  echo "migrations=$migrations"
  echo "master_key_location=$location"
  echo "master_key_sha256=$fingerprint"
} > "$manifest"
echo "$archive"
