#!/usr/bin/env bash
# Entitlement checks over HTTP: wrk posts POST /api/v1/entitlements/check for the demo customer, once about a boolean
# feature (premium_models: answered from memory) and once about a quota (monthly_queries: this period's usage read from
# the events), at full speed, then at a fixed rate for latency. Reports checks per second and p50/p99 on SQLite and,
# with a PostgreSQL URL, on PostgreSQL.
# Usage: bench/checks/run.sh [seconds, default 15] [connections, default 32] [postgres connection string]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
ROOT=$(cd ../.. && pwd)
SECS=${1:-15}
CONNS=${2:-32}
PG=${3:-}
PORT=19020
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

echo "== building (Release)"
dotnet build -c Release -v q -nologo "$ROOT/src/Tollgate" >/dev/null

run() { # $1 name, $2 connection string
  local admin=tg_admin_live_$(head -c 4000 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 43)
  TOLLGATE_ADMIN_KEY=$admin dotnet "$ROOT/src/Tollgate/bin/Release/net10.0/Tollgate.dll" serve --demo --urls http://127.0.0.1:$PORT \
    --Storage:ConnectionString="$2" --Logging:LogLevel:Default=Warning >"$WORK/$1.log" 2>&1 & PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/health/live && break; sleep 0.1; done
  # A month of usage behind the quota: 1,000 events.
  local events
  events=$(for i in $(seq 1 1000); do printf '{"id":"seed-%d","code":"query","external_customer_id":"demo_acme","properties":{"kind":"basic"}},' "$i"; done)
  curl -s -o /dev/null -H "Authorization: Bearer $admin" -H 'content-type: application/json' -X POST http://127.0.0.1:$PORT/api/v1/events/batch \
    -d "{\"events\":[${events%,}]}"
  local probe
  probe=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $admin" -H 'content-type: application/json' -X POST \
    http://127.0.0.1:$PORT/api/v1/entitlements/check -d '{"external_customer_id":"demo_acme","feature":"monthly_queries"}')
  [[ "$probe" == *" 200" ]] || { echo "$1: a check failed: $probe"; cat "$WORK/$1.log"; exit 1; }
  echo "$1: $probe"
  for feature in premium_models monthly_queries; do
    KEY=$admin FEATURE=$feature wrk -t2 -c"$CONNS" -d3s -s "$HERE/check.lua" http://127.0.0.1:$PORT >/dev/null
    local out
    out=$(KEY=$admin FEATURE=$feature wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$HERE/check.lua" http://127.0.0.1:$PORT)
    local rate
    rate=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    printf "%-10s %-16s %9.0f checks/s   %s\n" "$1" "$feature" "$rate" "$(echo "$out" | grep '^requests')"
  done
  local rss
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  printf "%-10s memory after the runs: %d MB\n" "$1" $((rss / 1024))
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

echo "== ${SECS}s, $CONNS connections"
run sqlite "Data Source=$WORK/checks.db"
[ -n "$PG" ] && run postgres "$PG"
