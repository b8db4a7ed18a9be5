#!/usr/bin/env bash
# Outbound webhook delivery (issue 16): a running Tollgate delivers the outbox to a fast receiver on loopback, on
# SQLite and on a throwaway durable PostgreSQL (bench/postgres.sh). bench/WebhookDelivery writes the events to the
# outbox (as billing does) and receives them. Two measurements per database: how fast N events written at once are
# delivered, and the delay from an event's commit to its arrival at a steady R events a second.
# Usage: bench/WebhookDelivery/run.sh [N, default 50000] [R, default 1000] [seconds at R, default 15] [sqlite|postgres|both, default both]
set -euo pipefail
cd "$(dirname "$0")"
N=${1:-50000}
RATE=${2:-1000}
SECS=${3:-15}
WHICH=${4:-both}
PORT=19040
source ../tollgate.sh
source ../postgres.sh
dotnet build -c Release -v q -nologo . >/dev/null
TOOL="dotnet bin/Release/net10.0/WebhookDelivery.dll"

run() { # $1 name, $2 connection string
  echo "== $1"
  start_tollgate "$1" "$2" $PORT --Webhooks:AllowPrivateAddresses=true ${TOLLGATE_ARGS:-}
  $TOOL "$2" "http://127.0.0.1:$PORT" "$ADMIN" drain "$N"
  $TOOL "$2" "http://127.0.0.1:$PORT" "$ADMIN" rate "$RATE" "$SECS"
  stop_tollgate
}

[ "$WHICH" != postgres ] && run sqlite "Data Source=$WORK/webhooks.db"
if [ "$WHICH" != sqlite ]; then
  start_postgres
  run postgres "$PG"
fi
