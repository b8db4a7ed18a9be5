#!/usr/bin/env bash
# Durable event ingestion over HTTP: wrk posts batches of 1,000 new events to POST /api/v1/events/batch, each batch
# answered only once committed. Reports events per second on SQLite and, with a PostgreSQL URL, on PostgreSQL.
# Usage: bench/ingest/run.sh [seconds, default 15] [connections, default 8] [postgres connection string]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
SECS=${1:-15}
CONNS=${2:-8}
PG=${3:-}
PORT=19010
source ../tollgate.sh

run() { # $1 name, $2 connection string
  start_tollgate "$1" "$2" $PORT
  local customer
  customer=$(curl -s -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' -X POST http://127.0.0.1:$PORT/api/v1/customers \
    -d '{"name":"Ingest bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  RUN=warm KEY=$ADMIN CUSTOMER=$customer BATCH=1000 wrk -t2 -c"$CONNS" -d3s -s "$HERE/batch.lua" http://127.0.0.1:$PORT >/dev/null
  local out
  out=$(RUN=measured KEY=$ADMIN CUSTOMER=$customer BATCH=1000 wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$HERE/batch.lua" http://127.0.0.1:$PORT)
  local batches
  batches=$(echo "$out" | awk '/^batches/ {gsub(",", "", $2); print $2}')
  printf "%-10s %8.0f events/s durable   (%s)\n" "$1" "$(echo "$batches * 1000 / $SECS" | bc -l)" "$(echo "$out" | grep '^batches')"
  stop_tollgate
}

echo "== ${SECS}s, $CONNS connections, batches of 1,000 events"
run sqlite "Data Source=$WORK/ingest.db"
[ -n "$PG" ] && run postgres "$PG"
