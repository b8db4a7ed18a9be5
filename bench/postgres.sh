# Sourced by benchmarks that measure PostgreSQL, after tollgate.sh: start_postgres starts a throwaway PostgreSQL
# (installed from apt if missing) on 127.0.0.1 and sets PG to a connection string to an empty database in it.
# It runs durable, as in production: fsync and synchronous_commit on (PostgreSQL's defaults), with max_wal_size raised
# to 4 GB so that a sustained write load is not measured through back-to-back checkpoints. It stops on exit.
start_postgres() {
  PGBENCHBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$PGBENCHBIN" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    PGBENCHBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  local bin=$PGBENCHBIN
  PGBENCHDIR=$(mktemp -d /tmp/tollgate-bench-pg.XXXXXX)
  local port=$(( 30000 + RANDOM % 20000 ))
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGBENCHDIR"
  chmod 755 "$PGBENCHDIR"
  as_pg "$bin/initdb" -D "$PGBENCHDIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$bin/pg_ctl" -D "$PGBENCHDIR/data" -l "$PGBENCHDIR/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PGBENCHDIR -c max_connections=200 -c max_wal_size=4GB ${PGBENCH_SETTINGS:-}" start >/dev/null \
    || { cat "$PGBENCHDIR/pg.log"; exit 1; }
  stop_postgres() { as_pg "$PGBENCHBIN/pg_ctl" -D "$PGBENCHDIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGBENCHDIR"; }
  trap 'stop_postgres; cleanup' EXIT
  PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"
  echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (fsync on, synchronous_commit on, max_wal_size 4GB)"
}
