#!/bin/sh
# Initialises the cluster on first start (password from a secret file, never from
# the command line or the log), then execs the server so it receives signals.
set -eu

: "${POSTGRES_USER:=livechat}"
: "${POSTGRES_DB:=livechat}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD_FILE:-}" ] || [ ! -r "$POSTGRES_PASSWORD_FILE" ]; then
    echo "db: POSTGRES_PASSWORD_FILE must name a readable file holding the password" >&2
    exit 1
  fi
  initdb --username="$POSTGRES_USER" --pwfile="$POSTGRES_PASSWORD_FILE" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "db: initialised database $POSTGRES_DB"
fi

exec "$@"
