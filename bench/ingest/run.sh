#!/usr/bin/env bash
# Durable event ingestion over HTTP: wrk posts batches of 1,000 new events to POST /api/v1/events/batch, each batch
# answered only once committed. Reports events per second on SQLite and on a throwaway PostgreSQL (bench/postgres.sh:
# fsync and synchronous_commit on).
#
# Each run warms up first (20 s by default): on two cores under full load the JIT needs more than ten seconds to
# finish optimising the hot path, and a server that runs for days is measured at its steady state. A run that
# answers any batch with an error fails.
# Usage: bench/ingest/run.sh [seconds, default 15] [connections, default 8] [sqlite|postgres|both, default both] [warm-up seconds, default 20]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
SECS=${1:-15}
CONNS=${2:-8}
WHICH=${3:-both}
WARM=${4:-20}
PORT=19010
source ../tollgate.sh
source ../postgres.sh

run() { # $1 name, $2 connection string
  start_tollgate "$1" "$2" $PORT
  local customer
  customer=$(curl -s -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' -X POST http://127.0.0.1:$PORT/api/v1/customers \
    -d '{"name":"Ingest bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  RUN=warm KEY=$ADMIN CUSTOMER=$customer BATCH=1000 wrk -t2 -c"$CONNS" -d"${WARM}s" -s "$HERE/batch.lua" http://127.0.0.1:$PORT >/dev/null
  local out
  out=$(RUN=measured KEY=$ADMIN CUSTOMER=$customer BATCH=1000 wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$HERE/batch.lua" http://127.0.0.1:$PORT)
  local batches errors
  batches=$(echo "$out" | awk '/^batches/ {gsub(",", "", $2); print $2}')
  errors=$(echo "$out" | awk '/^batches/ {gsub(",", "", $4); print $4}')
  printf "%-10s %8.0f events/s durable   (%s)\n" "$1" "$(echo "$batches * 1000 / $SECS" | bc -l)" "$(echo "$out" | grep '^batches')"
  [ "$errors" = 0 ] || { echo "$1: $errors batches failed:"; tail -20 "$WORK/$1.log"; exit 1; }
  stop_tollgate
}

echo "== ${SECS}s after ${WARM}s of warm-up, $CONNS connections, batches of 1,000 events"
[ "$WHICH" != postgres ] && run sqlite "Data Source=$WORK/ingest.db"
if [ "$WHICH" != sqlite ]; then
  start_postgres
  run postgres "$PG"
fi
