#!/bin/bash
# A copy of deploy/postgres-init.sh (kustomize reads files only below the kustomization).
# Runs once, when the postgres container initialises an empty data directory, as the superuser.
# Creates the role the server uses: it owns the coditect database and is neither superuser nor BYPASSRLS,
# so PostgreSQL row-level security binds it (docs/operations.md).
set -euo pipefail
: "${CODITECT_DB_PASSWORD:?CODITECT_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  --set=app_password="$CODITECT_DB_PASSWORD" <<'SQL'
CREATE ROLE coditect LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE coditect OWNER coditect;
REVOKE ALL ON DATABASE coditect FROM PUBLIC;
SQL
