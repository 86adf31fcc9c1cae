#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the `postgres` tests; print its URL.
# Installs Debian's server when missing. Never listens on anything but 127.0.0.1.
set -euo pipefail
port="${AMM_CI_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=$(mktemp -d /tmp/amm-ci-pg.XXXXXX)
chown postgres:postgres "$data"
runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >/dev/null
echo "$data" > /tmp/amm-ci-pg.datadir
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
