#!/usr/bin/env bash
# Inbound webhook throughput over HTTP: wrk posts signed Razorpay payment.captured events, each with its own event id,
# to POST /webhooks/razorpay. Each is verified (HMAC of the raw body), recorded (its id in provider_events) and applied
# (a payment row, its audit entry and its outbox event), all in one transaction answered once committed. On SQLite and
# on a throwaway durable PostgreSQL (bench/postgres.sh). A run that answers any event with an error fails, and so does
# one whose events were not all applied.
# Usage: bench/webhooks/run.sh [seconds, default 15] [connections, default 16] [sqlite|postgres|both, default both] [warm-up seconds, default 10]
#        [customers the events come from, default 100]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
SECS=${1:-15}
CONNS=${2:-16}
WHICH=${3:-both}
WARM=${4:-10}
CUSTOMERS=${5:-100}
PORT=19030
SECRET=bench_razorpay_webhook_secret
source ../tollgate.sh
source ../postgres.sh

run() { # $1 name, $2 connection string
  start_tollgate "$1" "$2" $PORT --Payments:Razorpay:KeyId=rzp_bench --Payments:Razorpay:KeySecret=bench --Payments:Razorpay:WebhookSecret=$SECRET
  # Payments come from many customers: CUSTOMERS of them, the events spread over them in turn.
  local customers=() customer
  for i in $(seq 1 "$CUSTOMERS"); do
    customers+=("$(curl -s -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' -X POST http://127.0.0.1:$PORT/api/v1/customers \
      -d "{\"name\":\"Webhook bench $i\",\"country\":\"IN\"}" | sed 's/.*"id":"\([^"]*\)".*/\1/')")
  done
  customer=${customers[0]}
  # Enough distinct events for the warm-up and the run at 10,000 a second.
  python3 "$HERE/make-events.py" $(( (WARM + SECS) * 10000 )) "$(IFS=,; echo "${customers[*]}")" "$SECRET" "$1" >"$WORK/events.tsv"
  head -n $(( WARM * 10000 )) "$WORK/events.tsv" >"$WORK/warm.tsv"
  tail -n +$(( WARM * 10000 + 1 )) "$WORK/events.tsv" >"$WORK/measured.tsv"
  EVENTS=$WORK/warm.tsv THREADS=2 wrk -t2 -c"$CONNS" -d"${WARM}s" -s "$HERE/webhook.lua" http://127.0.0.1:$PORT >/dev/null
  local out
  out=$(EVENTS=$WORK/measured.tsv THREADS=2 wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$HERE/webhook.lua" http://127.0.0.1:$PORT)
  local events errors
  events=$(echo "$out" | awk '/^events/ {gsub(",", "", $2); print $2}')
  errors=$(echo "$out" | awk '/^events/ {gsub(",", "", $4); print $4}')
  printf "%-10s %8.0f events/s   (%s)\n" "$1" "$(echo "$events / $SECS" | bc -l)" "$(echo "$out" | grep '^events')"
  [ "$errors" = 0 ] || { echo "$1: $errors events failed:"; tail -20 "$WORK/$1.log"; exit 1; }
  local payments
  payments=$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/payments?customer_id=$customer" | grep -o '"provider_payment_id"' | wc -l)
  echo "$1: payments of the first customer listed: $payments"
  stop_tollgate
}

echo "== ${SECS}s after ${WARM}s of warm-up, $CONNS connections, one signed event per request"
[ "$WHICH" != postgres ] && run sqlite "Data Source=$WORK/webhooks.db"
if [ "$WHICH" != sqlite ]; then
  start_postgres
  run postgres "$PG"
fi
