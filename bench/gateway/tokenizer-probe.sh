#!/usr/bin/env bash
# bench/gateway/tokenizer-probe.sh true|false: Tollgate alone (built in Release) under wrk -c64 for 15 s, called by a
# customer under a token limit, so every request's prompt is counted; prints throughput and peak RSS. Compares
# Gateway:Tokenizers on and off: run it alternately, several times, on a quiet machine. TGENV="NAME=value …" sets
# environment variables for Tollgate (runtime settings such as DOTNET_GCgen0MaxBudget).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
W=$(mktemp -d); UP=$((30000 + RANDOM % 1000)); TG=$((31000 + RANDOM % 1000))
dotnet $ROOT/bench/FakeUpstream/bin/Release/net10.0/FakeUpstream.dll $UP >/dev/null 2>&1 & P1=$!
ADMIN=tg_admin_live_$(head -c 4000 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 43)
TOLLGATE_ADMIN_KEY=$ADMIN env ${TGENV:-} dotnet $ROOT/src/Tollgate/bin/Release/net10.0/Tollgate.dll serve --urls http://127.0.0.1:$TG \
  --Storage:ConnectionString="Data Source=$W/t.db" --Logging:LogLevel:Default=Warning --Gateway:Journal:Directory=$W/j --Gateway:Tokenizers=$1 \
  --Gateway:AllowPrivateAddresses=true --Gateway:Providers:bench:Kind=openai --Gateway:Providers:bench:BaseUrl=http://127.0.0.1:$UP/v1 --Gateway:Providers:bench:ApiKey=sk-bench \
  --Gateway:Models:gpt-4o-mini:Provider=bench >$W/log 2>&1 & TGPID=$!
trap "kill $P1 $TGPID 2>/dev/null; rm -rf $W" EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$TG/health/live && break; sleep 0.1; done
api() { curl -s -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' "$@"; }
C=$(api -X POST http://127.0.0.1:$TG/api/v1/customers -d '{"name":"Bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
api -X POST http://127.0.0.1:$TG/api/v1/limits -d "{\"scope\":\"customer\",\"target\":\"$C\",\"measure\":\"tokens\",\"amount\":1000000000000,\"window\":\"minute\"}" >/dev/null
KEY=$(api -X POST http://127.0.0.1:$TG/api/v1/keys -d "{\"name\":\"bench\",\"customer_id\":\"$C\"}" | sed 's/.*"secret":"\([^"]*\)".*/\1/')
cat > $W/post.lua <<L
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
L
wrk -t2 -c64 -d15s -s $W/post.lua http://127.0.0.1:$TG/v1/chat/completions | grep -E "Requests/sec"
# Where the memory is at the end of the load: file-backed (shared and private clean), anonymous (heaps, stacks, JIT), threads.
grep -E "^(Rss|Anonymous|Shared_Clean|Private_Clean|Private_Dirty)" /proc/$TGPID/smaps_rollup
grep Threads /proc/$TGPID/status
echo "peak: $(awk '/VmHWM/ {print $2/1024}' /proc/$TGPID/status) MB"
