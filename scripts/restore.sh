#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into an empty PostgreSQL database.
#
#   scripts/restore.sh [--master-key-file FILE] ARCHIVE [connection]
#
# connection (or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD): the new database, empty, owned by the role the
# server will use, which must be neither superuser nor BYPASSRLS (row-level security binds it; docs/operations.md).
# Connect as that role: every object is created by it and so owned by it, as the migrations would. The archive is
# checked against its manifest first (same name, .manifest); with --master-key-file, so is the key the server will
# run with (a mismatch would leave the server unable to decrypt its signing keys). Everything is restored in one
# transaction: on any error nothing is left half-restored. Afterwards start the server with the backup's master key
# and Database__MigrateOnStart as usual: later migrations, if the server is newer, apply as on any start.
# Exit codes: 0 done, 1 failed, 2 bad arguments.
set -euo pipefail

usage() { sed -n '4p' "$0" | sed 's/^# *//' >&2; exit 2; }
key_file=""; archive=""; connection=""
while [ $# -gt 0 ]; do
  case "$1" in
    --master-key-file) key_file="${2:-}"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) if [ -z "$archive" ]; then archive="$1"; else connection="$1"; fi; shift ;;
  esac
done
[ -n "$archive" ] && [ -f "$archive" ] || usage
bin="${PG_BIN:+$PG_BIN/}"
manifest="${archive%.dump}.manifest"
[ -f "$manifest" ] || { echo "no manifest beside the archive: $manifest" >&2; exit 1; }
value() { sed -n "s/^$1=//p" "$manifest"; }

if [ "$(sha256sum "$archive" | cut -d' ' -f1)" != "$(value archive_sha256)" ]; then
  echo "the archive does not match its manifest (damaged or replaced): $archive" >&2; exit 1
fi
if [ -n "$key_file" ] && [ -n "$(value master_key_sha256)" ]; then
  if [ "$(tr -d ' \n\r' < "$key_file" | base64 -d | sha256sum | cut -d' ' -f1)" != "$(value master_key_sha256)" ]; then
    echo "this is not the master key the backup was made with; it is at: $(value master_key_location)" >&2; exit 1
  fi
fi

psql_args=(-X -A -t -v ON_ERROR_STOP=1)
[ -n "$connection" ] && psql_args+=(--dbname="$connection")
role="$("${bin}psql" "${psql_args[@]}" -c "select rolsuper or rolbypassrls from pg_roles where rolname = current_user")"
if [ "$role" != "f" ]; then
  echo "connect as the server's own role, which must be neither superuser nor BYPASSRLS (row-level security must bind it)" >&2; exit 1
fi
tables="$("${bin}psql" "${psql_args[@]}" -c "select count(*) from pg_tables where schemaname = 'public'")"
if [ "$tables" != "0" ]; then
  echo "the target database is not empty ($tables tables): restore into a new database" >&2; exit 1
fi

args=(--no-owner --no-privileges --single-transaction --exit-on-error
  --dbname="${connection:-${PGDATABASE:?pass a connection or set PGDATABASE}}")
"${bin}pg_restore" "${args[@]}" "$archive"
echo "restored $(basename "$archive") (migrations $(value migrations)); the master key is at: $(value master_key_location)"
