#!/bin/sh
# Initialises the cluster on first start, and on every start makes the role's password
# the one in POSTGRES_PASSWORD_FILE: the secret file, not the volume, is the source of
# truth, so a regenerated secret cannot lock the service out of an existing volume.
# The password never appears on a command line or in the log. Then execs the server so
# it receives signals.
set -eu

: "${POSTGRES_USER:=livechat}"
: "${POSTGRES_DB:=livechat}"

if [ -z "${POSTGRES_PASSWORD_FILE:-}" ] || [ ! -r "$POSTGRES_PASSWORD_FILE" ]; then
  echo "db: POSTGRES_PASSWORD_FILE must name a readable file holding the password" >&2
  exit 1
fi

fresh=no
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username="$POSTGRES_USER" --pwfile="$POSTGRES_PASSWORD_FILE" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  fresh=yes
fi

# A local-only server (no TCP) to create the database and apply the password.
pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
if [ "$fresh" = yes ]; then
  createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
  echo "db: initialised database $POSTGRES_DB"
fi
# psql reads the file itself (backquote), so the password is in no process's arguments.
psql -q -v ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres \
  -v role="$POSTGRES_USER" <<'SQL'
\set password `cat "$POSTGRES_PASSWORD_FILE"`
ALTER ROLE :"role" PASSWORD :'password';
SQL
pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null

exec "$@"
