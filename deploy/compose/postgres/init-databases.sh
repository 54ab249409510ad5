#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
# One application role (not a superuser) and one database per service it owns:
# certreg_identity, certreg_entities, certreg_filings, certreg_review, certreg_notifier.
set -eu

: "${CERTREG_DB_USER:=certreg}"
: "${CERTREG_DB_PASSWORD:?CERTREG_DB_PASSWORD is required}"
: "${CERTREG_DATABASES:=identity entities filings review notifier}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app_user="$CERTREG_DB_USER" -v app_password="$CERTREG_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user')
\gexec
SQL

for service in $CERTREG_DATABASES; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v db="certreg_${service}" -v app_user="$CERTREG_DB_USER" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'app_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db')
\gexec
SQL
  echo "database certreg_${service} ready"
done
