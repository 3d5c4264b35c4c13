#!/bin/sh
# First start of the primary (docker-entrypoint-initdb.d): a role that streaming replicas connect as, and
# the pg_hba line that lets it (replication connections match only the `replication` keyword).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD:-parley-replication}';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
