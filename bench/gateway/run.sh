#!/usr/bin/env bash
# Gateway overhead benchmark, all on loopback in one run:
#   a fast local upstream (bench/FakeUpstream), called directly;
#   the floor: the same program as a bare .NET proxy (read, forward with HttpClient, copy back; no checks at all);
#   Tollgate in front of it (key check, plan access, usage records on, SQLite);
#   Tollgate with reservations on ("limited"): a customer under a hard token quota, requests- and tokens-per-minute
#   limits, a concurrency limit and a daily budget, all set far above what the run uses, so every request reserves
#   and settles five counters and none is refused;
#   Portkey's open-source gateway 1.15.2 in front of the same upstream.
# Reports added latency p50/p99 at a fixed rate (latency.py: hey rounds to 0.1 ms and adds its own scheduling),
# maximum throughput (wrk), added time to first byte on streams (curl), and Tollgate's memory. Every target is warmed
# up for 10 s first, so that Tollgate is measured once the JIT has optimised its hot path, as a server that has run
# for a while. Needs wrk, python3, curl, node/npm (installed from apt if missing).
# Usage: bench/gateway/run.sh [seconds per run, default 15] [fixed rate per second, default 500]
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
ROOT=$(cd ../.. && pwd)
SECS=${1:-15}
RATE=${2:-500}
UP=19001 TG=19002 PK=19003 FL=19004
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }; }
need wrk wrk; need python3 python3; need curl curl; need node nodejs; need npm npm

echo "== building (Release)"
dotnet build -c Release -v q -nologo "$ROOT/bench/FakeUpstream" >/dev/null
dotnet build -c Release -v q -nologo "$ROOT/src/Tollgate" >/dev/null
[ -d node_modules/@portkey-ai/gateway ] || npm install --silent --no-audit --no-fund >/dev/null

wait_for() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }

echo "== starting the upstream, Tollgate and Portkey"
dotnet "$ROOT/bench/FakeUpstream/bin/Release/net10.0/FakeUpstream.dll" $UP & PIDS+=($!)
dotnet "$ROOT/bench/FakeUpstream/bin/Release/net10.0/FakeUpstream.dll" $FL http://127.0.0.1:$UP & PIDS+=($!)
. "$HERE/tollgate.sh"
start_tollgate
node -r "$HERE/bind-loopback.cjs" node_modules/@portkey-ai/gateway/build/start-server.js --headless --port=$PK >"$WORK/portkey.log" 2>&1 & PIDS+=($!)
wait_for http://127.0.0.1:$UP/
wait_for http://127.0.0.1:$FL/
wait_for http://127.0.0.1:$TG/health/live
wait_for http://127.0.0.1:$PK/

setup_customers

BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}'
SBODY='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello."}],"max_tokens":32}'
echo "$BODY" >"$WORK/body.json"
declare -A URL=([upstream]=http://127.0.0.1:$UP/v1/chat/completions [floor]=http://127.0.0.1:$FL/v1/chat/completions [tollgate]=http://127.0.0.1:$TG/v1/chat/completions [limited]=http://127.0.0.1:$TG/v1/chat/completions [portkey]=http://127.0.0.1:$PK/v1/chat/completions)
declare -A AUTH=([upstream]=sk-bench [floor]=sk-bench [tollgate]=$KEY [limited]=$LKEY [portkey]=sk-bench)
TARGETS="upstream floor tollgate limited portkey"
PKH="x-portkey-provider: openai|x-portkey-custom-host: http://127.0.0.1:$UP/v1"
hdrs() { [ "$1" = portkey ] && echo "$PKH" || echo ""; }

echo "== warm-up"
for t in $TARGETS; do
  HEADERS=$(hdrs $t) AUTH=${AUTH[$t]} wrk -t1 -c8 -d10s -s post.lua "${URL[$t]}" >/dev/null
done

echo "== fixed rate: $RATE requests/s over 10 connections for ${SECS}s (latency.py, to the microsecond)"
SPECS=()
for t in $TARGETS; do
  spec="$t=${URL[$t]}|${AUTH[$t]}"
  [ $t = portkey ] && spec="$spec|x-portkey-provider: openai|x-portkey-custom-host: http://127.0.0.1:$UP/v1"
  SPECS+=("$spec")
done
python3 "$HERE/latency.py" "$RATE" "$SECS" 10 "$WORK/body.json" "${SPECS[@]}"

echo "== maximum throughput: wrk -t2 -c64 -d${SECS}s"
for t in $TARGETS; do
  out=$(HEADERS=$(hdrs $t) AUTH=${AUTH[$t]} wrk -t2 -c64 -d${SECS}s -s post.lua "${URL[$t]}")
  printf "%-9s %10s req/s   %s   %s\n" $t "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | grep '^latency')" "$(echo "$out" | grep '^status codes')"
  case $t in tollgate|limited) echo "          tollgate memory after this target: $(awk '/VmHWM/ {printf "peak %d MB", $2/1024}' /proc/$TGPID/status)";; esac
done
echo "tollgate memory: $(awk '/VmHWM/ {printf "peak %d MB", $2/1024}' /proc/$TGPID/status), $(awk '/VmRSS/ {printf "now %d MB", $2/1024}' /proc/$TGPID/status)"

echo "== time to first byte on streams: median of 300 sequential requests (curl)"
for t in $TARGETS; do
  H=(-H "Authorization: Bearer ${AUTH[$t]}" -H 'content-type: application/json')
  [ $t = portkey ] && H+=(-H "x-portkey-provider: openai" -H "x-portkey-custom-host: http://127.0.0.1:$UP/v1")
  for _ in $(seq 1 300); do curl -s -o /dev/null -w '%{time_starttransfer}\n' "${H[@]}" -d "$SBODY" "${URL[$t]}"; done \
    | sort -n | awk -v t=$t '{a[NR]=$1} END {printf "%-9s ttfb p50 %.3f ms   p99 %.3f ms\n", t, a[int(NR/2)]*1000, a[int(NR*0.99)]*1000}'
done

echo "== usage records written by Tollgate: $(api "http://127.0.0.1:$TG/api/v1/usage-records?limit=1" | grep -c '"status":"ok"') (1 = recording is on)"
echo "== the limited customer's limits and quota after the run (none refused: see the status codes above)"
api "http://127.0.0.1:$TG/api/v1/customers/$LIMITED/limits" | grep -o '"measure":"[a-z]*"\|"used":[0-9.]*' | paste - - | tr '\n' ' '; echo
api -X POST http://127.0.0.1:$TG/api/v1/entitlements/check -d "{\"customer_id\":\"$LIMITED\",\"feature\":\"bench_token_quota\"}" | grep -o '"used":[0-9.]*'
