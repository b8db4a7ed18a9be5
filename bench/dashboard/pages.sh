#!/usr/bin/env bash
# Dashboard pages' times over HTTP on the demo's SQLite database (serve --demo: about 300 customers, 21,000 usage
# records, a year of history): signs in as the demo's owner and fetches each page RUNS times, printing the median and
# the 95th percentile of the whole request as curl sees it. Not yet the issue's scale (100,000 customers, ten million
# usage events): see docs/benchmarks.md.
# Usage: bench/dashboard/pages.sh [RUNS, default 21]
set -euo pipefail
RUNS=${1:-21}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
PORT=19070
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
dotnet build "$ROOT/src/Tollgate" -c Release -v q -nologo >/dev/null
(cd "$WORK" && exec dotnet "$ROOT/src/Tollgate/bin/Release/net10.0/Tollgate.dll" serve --demo --urls "http://127.0.0.1:$PORT" > "$WORK/out.log" 2>&1) &
PID=$!
for _ in $(seq 1 120); do grep -q "The dashboard:" "$WORK/out.log" 2>/dev/null && break; sleep 1; done
URL="http://127.0.0.1:$PORT"
JAR="$WORK/jar"
TOKEN=$(curl -s -c "$JAR" -b "$JAR" "$URL/dashboard/sign-in" | grep -o 'name="_csrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null -d "_csrf=$TOKEN&email=owner@demo.tollgate.dev&password=tollgate-demo-owner" "$URL/dashboard/sign-in"
CUSTOMER=$(curl -s -b "$JAR" "$URL/dashboard/customers?status=paying" | grep -o 'href="/dashboard/customers/cus_[^"]*"' | head -1 | sed 's/.*customers\///;s/"//')
for page in "/dashboard" "/dashboard/customers" "/dashboard/customers?q=Customer+01" "/dashboard/customers/$CUSTOMER" "/dashboard/invoices" "/dashboard/audit"; do
  for _ in $(seq 1 "$RUNS"); do curl -s -b "$JAR" -o /dev/null -w "%{time_total}\n" "$URL$page"; done | sort -n |
    awk -v p="$page" -v n="$RUNS" '{a[NR]=$1} END {printf "%-40s median %6.1f ms   p95 %6.1f ms\n", p, a[int((n+1)/2)]*1000, a[int(n*0.95+0.5)]*1000}'
done
