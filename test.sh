#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests on SQLite and on a throwaway PostgreSQL that this script
# installs (from apt, if missing), starts on 127.0.0.1 and stops again. PostgreSQL tests never skip: if the
# server cannot start, this script fails.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\n== %s\n' "$*"; }

find_pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

PGBIN=$(find_pgbin || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  log "Installing PostgreSQL from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  PGBIN=$(find_pgbin)
fi

# Invoice PDFs are printed, and tested, with Debian's Chromium (no 'playwright install').
if ! command -v chromium >/dev/null 2>&1; then
  log "Installing Chromium from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi

# Outbound webhooks are verified by the official Standard Webhooks library, as receivers verify them (Node 20 and npm).
if ! command -v node >/dev/null 2>&1; then
  log "Installing Node.js from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
log "Installing the Standard Webhooks verifier from npm"
(cd tests/webhook-verifier && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

PGDIR=$(mktemp -d /tmp/tollgate-pg.XXXXXX)
PGPORT=${TOLLGATE_TEST_PGPORT:-$(( 20000 + RANDOM % 20000 ))}
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDIR"; fi
chmod 755 "$PGDIR"

stop_pg() {
  for data in "$PGDIR"/*/; do as_postgres "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; done
  rm -rf "$PGDIR"
}
trap stop_pg EXIT

# start_pg NAME PORT: a cluster in $PGDIR/NAME on 127.0.0.1:PORT.
# fsync and synchronous commits off are fine for tests that never stop the database; the outage test stops its own
# server as a crash would (immediately), and without synchronous commits that loses the last commits it acknowledged.
pg_options() {
  local durable="-c fsync=off -c synchronous_commit=off"
  [ "$1" = outage ] && durable="-c fsync=on -c synchronous_commit=on"
  echo "-c listen_addresses=127.0.0.1 -p $2 -k $PGDIR $durable -c max_connections=300"
}
start_pg() {
  as_postgres "$PGBIN/initdb" -D "$PGDIR/$1" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/$1" -l "$PGDIR/$1.log" -w -t 60 -o "$(pg_options "$1" "$2")" start >/dev/null \
    || { cat "$PGDIR/$1.log"; exit 1; }
}

log "Starting PostgreSQL ($("$PGBIN/postgres" --version)) on 127.0.0.1:$PGPORT, and one the outage test stops on :$((PGPORT + 1))"
start_pg data "$PGPORT"
start_pg outage "$((PGPORT + 1))"
# The outage test stops and starts its own server with this script: 'stop' (immediately, as a crash would) or 'start'.
cat > "$PGDIR/outage.sh" <<SCRIPT
#!/usr/bin/env bash
set -euo pipefail
run() { if [ "\$(id -u)" = 0 ]; then runuser -u postgres -- "\$@"; else "\$@"; fi; }
case "\$1" in
  stop) run "$PGBIN/pg_ctl" -D "$PGDIR/outage" -m immediate -w stop >/dev/null ;;
  start) run "$PGBIN/pg_ctl" -D "$PGDIR/outage" status >/dev/null 2>&1 || run "$PGBIN/pg_ctl" -D "$PGDIR/outage" -l "$PGDIR/outage.log" -w -t 60 -o "$(pg_options outage "$((PGPORT + 1))")" start >/dev/null ;;
esac
SCRIPT
chmod +x "$PGDIR/outage.sh"
export TOLLGATE_TEST_OUTAGE_POSTGRES="Host=127.0.0.1;Port=$((PGPORT + 1));Username=postgres;Database=postgres;Pooling=true"
export TOLLGATE_TEST_OUTAGE_CONTROL="$PGDIR/outage.sh"
export TOLLGATE_TEST_POSTGRES="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres;Pooling=true"

log "Building"
dotnet build Tollgate.slnx -c Release --nologo -v quiet

log "Running tests"
set +e
dotnet test Tollgate.slnx -c Release --no-build --nologo --logger "console;verbosity=minimal" 2>&1 | tee "$PGDIR/test.log"
status=${PIPESTATUS[0]}
set -e

passed=$(grep -oE 'Passed: +[0-9]+' "$PGDIR/test.log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$PGDIR/test.log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$PGDIR/test.log" | awk '{s+=$2} END {print s+0}')
echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
