# Shared by run.sh and reservations.sh (sourced): starting Tollgate for the benchmark, and its two customers.
# Needs ROOT, WORK, UP, TG and the PIDS array; TGENV (environment) and TGARGS (options) are passed to Tollgate.

ADMIN=tg_admin_live_$(head -c 4000 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 43)

start_tollgate() {
  TOLLGATE_ADMIN_KEY=$ADMIN env ${TGENV:-} dotnet "$ROOT/src/Tollgate/bin/Release/net10.0/Tollgate.dll" serve --urls http://127.0.0.1:$TG \
    --Storage:ConnectionString="Data Source=$WORK/tollgate.db" --Logging:LogLevel:Default=Warning \
    --Gateway:AllowPrivateAddresses=true --Gateway:Providers:bench:Kind=openai --Gateway:Providers:bench:BaseUrl=http://127.0.0.1:$UP/v1 --Gateway:Providers:bench:ApiKey=sk-bench \
    --Gateway:Models:gpt-4o-mini:Provider=bench ${TGARGS:-} >"$WORK/tollgate.log" 2>&1 & TGPID=$!; PIDS+=($TGPID)
}

api() { curl -s -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' "$@"; }

# Sets KEY (a customer with a live key; its requests go through the plan-access check) and LKEY (the limited
# customer: on a plan with a hard quota of gateway tokens, under four limits of its own, all far above the run).
setup_customers() {
  CUSTOMER=$(api -X POST http://127.0.0.1:$TG/api/v1/customers -d '{"name":"Bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  KEY=$(api -X POST http://127.0.0.1:$TG/api/v1/keys -d "{\"name\":\"bench\",\"customer_id\":\"$CUSTOMER\"}" | sed 's/.*"secret":"\([^"]*\)".*/\1/')

  api -X POST http://127.0.0.1:$TG/api/v1/catalog/apply -d '{
    "metrics": [{"code": "bench_tokens", "name": "Tokens", "event": "gateway", "aggregation": "sum", "field": "total_tokens"}],
    "features": [{"code": "bench_token_quota", "name": "Tokens a month", "type": "quota", "metric": "bench_tokens", "reset_period": "month"}],
    "plans": [{"code": "bench_capped", "name": "Capped", "entitlements": [{"feature": "bench_token_quota", "limit": 1000000000000, "enforcement": "hard"}]}]}' >/dev/null
  LIMITED=$(api -X POST http://127.0.0.1:$TG/api/v1/customers -d '{"name":"Bench limited","plan":"bench_capped"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
  for limit in '"measure":"requests","amount":1000000000,"window":"minute"' '"measure":"tokens","amount":1000000000000,"window":"minute"' \
               '"measure":"concurrent","amount":100000' '"measure":"spend","amount_usd":1000000,"window":"day"'; do
    api -X POST http://127.0.0.1:$TG/api/v1/limits -d "{\"scope\":\"customer\",\"target\":\"$LIMITED\",$limit}" | grep -q '"id":"lim_' \
      || { echo "could not set limit $limit"; exit 1; }
  done
  LKEY=$(api -X POST http://127.0.0.1:$TG/api/v1/keys -d "{\"name\":\"bench\",\"customer_id\":\"$LIMITED\"}" | sed 's/.*"secret":"\([^"]*\)".*/\1/')
}
