#!/usr/bin/env bash
# What reservations cost, without the floor and Portkey: the upstream alone, Tollgate, and Tollgate for a customer
# under five reservations ("limited": a hard token quota, requests and tokens per minute, requests in flight, a daily
# budget), set up as bench/gateway/run.sh does, each at a fixed rate (latency.py) for one round, then ROUNDS more.
#   TARGETS="tollgate limited"  which targets (default: upstream tollgate limited)
#   ROUNDS="2 3"                the extra rounds (default two; "" for none)
#   TGENV="DOTNET_gcServer=0"   environment for Tollgate; TGARGS="--Alerts:Interval=01:00:00" options for it
#   COUNTERS=1                  afterwards, one round per target under dotnet-counters (GC and allocation rates,
#                               /tmp/<target>-counters.csv), or with TRACE=1 under dotnet-trace's gc-verbose profile
#                               (/tmp/<target>.nettrace; read it with bench/AllocationReport)
# Usage: bench/gateway/reservations.sh [seconds per round, default 15] [rate per second, default 500]
# Build first: dotnet build -c Release src/Tollgate bench/FakeUpstream (this script does not, so it can run beside
# other work without a build in between).
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
ROOT=$(cd ../.. && pwd)
SECS=${1:-15}
RATE=${2:-500}
UP=19001 TG=19002
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }; }
need wrk wrk; need python3 python3; need curl curl
if [ -n "${COUNTERS:-}" ]; then
  for tool in dotnet-counters dotnet-trace; do
    [ -x ~/.dotnet/tools/$tool ] || dotnet tool install -g $tool --version 10.0.750501 >/dev/null
  done
fi



wait_for() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }

echo "== starting the upstream and Tollgate"
dotnet "$ROOT/bench/FakeUpstream/bin/Release/net10.0/FakeUpstream.dll" $UP & PIDS+=($!)
. "$HERE/tollgate.sh"
start_tollgate
wait_for http://127.0.0.1:$UP/
wait_for http://127.0.0.1:$TG/health/live

setup_customers

BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}'
SBODY='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello."}],"max_tokens":32}'
echo "$BODY" >"$WORK/body.json"
declare -A URL=([upstream]=http://127.0.0.1:$UP/v1/chat/completions [tollgate]=http://127.0.0.1:$TG/v1/chat/completions [limited]=http://127.0.0.1:$TG/v1/chat/completions)
declare -A AUTH=([upstream]=sk-bench [tollgate]=$KEY [limited]=$LKEY)
TARGETS="${TARGETS:-upstream tollgate limited}"

echo "== warm-up"
for t in $TARGETS; do
  HEADERS= AUTH=${AUTH[$t]} wrk -t1 -c8 -d10s -s post.lua "${URL[$t]}" >/dev/null
done

echo "== fixed rate: $RATE requests/s over 10 connections for ${SECS}s (latency.py, to the microsecond)"
SPECS=()
for t in $TARGETS; do
  spec="$t=${URL[$t]}|${AUTH[$t]}"
  SPECS+=("$spec")
done
python3 "$HERE/latency.py" "$RATE" "$SECS" 10 "$WORK/body.json" "${SPECS[@]}"

for r in ${ROUNDS-2 3}; do python3 "$HERE/latency.py" "$RATE" "$SECS" 10 "$WORK/body.json" "${SPECS[@]}"; done
if [ -n "${COUNTERS:-}" ]; then
  LENGTH=$(printf '%02d' $((SECS - 2)))
  for t in tollgate limited; do
    spec="$t=${URL[$t]}|${AUTH[$t]}"
    if [ -n "${TRACE:-}" ]; then
      ~/.dotnet/tools/dotnet-trace collect -p $TGPID --profile ${TRACE_PROFILE:-gc-verbose} -o /tmp/$t.nettrace --duration 00:00:00:$LENGTH >/tmp/$t-trace.log 2>&1 & CP=$!
    else
      ~/.dotnet/tools/dotnet-counters collect -p $TGPID --counters System.Runtime -o /tmp/$t-counters.csv --format csv --refresh-interval 1 --duration 00:00:$LENGTH >/tmp/$t-counters.log 2>&1 & CP=$!
    fi
    python3 "$HERE/latency.py" "$RATE" "$SECS" 10 "$WORK/body.json" "$spec"
    wait $CP 2>/dev/null || true
  done
fi
echo "tollgate memory: $(awk '/VmHWM/ {printf "peak %d MB", $2/1024}' /proc/$TGPID/status)"
