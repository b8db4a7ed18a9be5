# Sourced by the HTTP benchmarks: builds Tollgate (Release) once, starts and stops it on a database, cleans up.
# Sets ROOT and WORK; start_tollgate NAME CONNECTION_STRING PORT [ARGS…] sets PID and ADMIN (its admin key) and waits
# until it answers; stop_tollgate ends it.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

echo "== building (Release)"
dotnet build -c Release -v q -nologo "$ROOT/src/Tollgate" >/dev/null

start_tollgate() { # $1 name (for its log), $2 connection string, $3 port, then extra arguments to serve
  local name=$1 connection=$2 port=$3
  shift 3
  ADMIN=tg_admin_live_$(head -c 4000 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 43)
  TOLLGATE_ADMIN_KEY=$ADMIN dotnet "$ROOT/src/Tollgate/bin/Release/net10.0/Tollgate.dll" serve --urls "http://127.0.0.1:$port" \
    --Storage:ConnectionString="$connection" --Logging:LogLevel:Default=Warning "$@" >"$WORK/$name.log" 2>&1 & PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/health/live" && return; sleep 0.1; done
  echo "$name: Tollgate did not start:"; cat "$WORK/$name.log"; exit 1
}

stop_tollgate() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
