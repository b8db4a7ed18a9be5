#!/usr/bin/env bash
# Analytics reports (issue 17) over HTTP on SQLite and on a throwaway durable PostgreSQL (bench/postgres.sh), at
# 10,000 customers and then at 100,000 (the same database, grown), with two years of synthetic subscription history
# written by bench/Analytics (see its Program.cs). Prints each report's median and slowest of RUNS.
# Usage: bench/Analytics/run.sh [RUNS, default 5] [sqlite|postgres|both, default both] [customers, default "10000 100000"]
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${1:-5}
WHICH=${2:-both}
SIZES=${3:-10000 100000}
PORT=19060
source ../tollgate.sh
source ../postgres.sh
dotnet build -c Release -v q -nologo . >/dev/null
TOOL="dotnet bin/Release/net10.0/Analytics.dll"

run() { # $1 name, $2 connection string
  echo "== $1"
  start_tollgate "$1" "$2" $PORT
  local from=0
  for n in $SIZES; do
    $TOOL "$2" "http://127.0.0.1:$PORT" "$ADMIN" seed "$n" "$from"
    $TOOL "$2" "http://127.0.0.1:$PORT" "$ADMIN" query "$RUNS"
    from=$n
  done
  stop_tollgate
}

[ "$WHICH" != postgres ] && run sqlite "Data Source=$WORK/analytics.db"
if [ "$WHICH" != sqlite ]; then
  start_postgres
  run postgres "$PG"
fi
