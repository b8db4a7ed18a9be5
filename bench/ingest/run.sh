#!/usr/bin/env bash
# Durable event ingestion over HTTP: wrk posts batches of 1,000 new events to POST /api/v1/events/batch, each batch
# answered only once committed. Reports events per second on SQLite and, with a PostgreSQL URL, on PostgreSQL.
# Usage: bench/ingest/run.sh [seconds, default 15] [connections, default 8] [postgres connection string]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
ROOT=$(cd ../.. && pwd)
SECS=${1:-15}
CONNS=${2:-8}
PG=${3:-}
PORT=19010
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

echo "== building (Release)"
dotnet build -c Release -v q -nologo "$ROOT/src/Tollgate" >/dev/null

run() { # $1 name, $2 connection string
  local admin=tg_admin_live_$(head -c 4000 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 43)
  TOLLGATE_ADMIN_KEY=$admin dotnet "$ROOT/src/Tollgate/bin/Release/net10.0/Tollgate.dll" serve --urls http://127.0.0.1:$PORT \
    --Storage:ConnectionString="$2" --Logging:LogLevel:Default=Warning >"$WORK/$1.log" 2>&1 & PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/health/live && break; sleep 0.1; done
  local customer
  customer=$(curl -s -H "Authorization: Bearer $admin" -H 'content-type: application/json' -X POST http://127.0.0.1:$PORT/api/v1/customers \
    -d '{"name":"Ingest bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  KEY=$admin CUSTOMER=$customer BATCH=1000 wrk -t2 -c"$CONNS" -d3s -s "$HERE/batch.lua" http://127.0.0.1:$PORT >/dev/null
  local out
  out=$(KEY=$admin CUSTOMER=$customer BATCH=1000 wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$HERE/batch.lua" http://127.0.0.1:$PORT)
  local batches
  batches=$(echo "$out" | awk '/^batches/ {gsub(",", "", $2); print $2}')
  printf "%-10s %8.0f events/s durable   (%s)\n" "$1" "$(echo "$batches * 1000 / $SECS" | bc -l)" "$(echo "$out" | grep '^batches')"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

echo "== ${SECS}s, $CONNS connections, batches of 1,000 events"
run sqlite "Data Source=$WORK/ingest.db"
[ -n "$PG" ] && run postgres "$PG"
