#!/usr/bin/env bash
# Entitlement checks over HTTP: wrk posts POST /api/v1/entitlements/check for the demo customer at full speed, once
# about a boolean feature (premium_models) and once about a quota (monthly_queries, with 1,000 events of usage this
# period; the total is read once, then cached until usage of the customer is stored). Reports checks per second and
# p50/p99 on SQLite and, given a connection string to an empty PostgreSQL database, on PostgreSQL.
# Usage: bench/checks/run.sh [seconds, default 15] [connections, default 32] [postgres connection string]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
SECS=${1:-15}
CONNS=${2:-32}
PG=${3:-}
PORT=19020
source ../tollgate.sh

run() { # $1 name, $2 connection string
  start_tollgate "$1" "$2" $PORT --demo
  # A month of usage behind the quota: 1,000 events.
  local events
  events=$(for i in $(seq 1 1000); do printf '{"id":"seed-%d","code":"query","external_customer_id":"demo_acme","properties":{"kind":"basic"}},' "$i"; done)
  curl -s -o /dev/null -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' -X POST http://127.0.0.1:$PORT/api/v1/events/batch \
    -d "{\"events\":[${events%,}]}"
  local probe
  probe=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' -X POST \
    http://127.0.0.1:$PORT/api/v1/entitlements/check -d '{"external_customer_id":"demo_acme","feature":"monthly_queries"}')
  [[ "$probe" == *" 200" ]] || { echo "$1: a check failed: $probe"; cat "$WORK/$1.log"; exit 1; }
  echo "$1: $probe"
  for feature in premium_models monthly_queries; do
    KEY=$ADMIN FEATURE=$feature wrk -t2 -c"$CONNS" -d3s -s "$HERE/check.lua" http://127.0.0.1:$PORT >/dev/null
    local out
    out=$(KEY=$ADMIN FEATURE=$feature wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$HERE/check.lua" http://127.0.0.1:$PORT)
    local rate
    rate=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    printf "%-10s %-16s %9.0f checks/s   %s\n" "$1" "$feature" "$rate" "$(echo "$out" | grep '^requests')"
  done
  local rss
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  printf "%-10s memory after the runs: %d MB\n" "$1" $((rss / 1024))
  stop_tollgate
}

echo "== ${SECS}s, $CONNS connections"
run sqlite "Data Source=$WORK/checks.db"
[ -n "$PG" ] && run postgres "$PG"
