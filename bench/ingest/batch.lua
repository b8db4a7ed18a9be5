-- Each request is a batch of BATCH new events for the customer in CUSTOMER; ids never repeat within a run, and RUN
-- (a different one per wrk run) keeps a warm-up's ids from coming back as duplicates in the measured run.
local batch = tonumber(os.getenv("BATCH") or "1000")
local customer = os.getenv("CUSTOMER")
local run = os.getenv("RUN") or "r"
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
end

function request()
  counter = counter + 1
  local parts = {}
  for i = 1, batch do
    parts[i] = string.format('{"id":"%s-%d-%d-%d","code":"query","customer_id":"%s","properties":{"kind":"basic","model":"gpt-4o"}}', run, thread_id, counter, i, customer)
  end
  return wrk.format(nil, "/api/v1/events/batch", nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
end

done = function(summary, latency, requests)
  io.write(string.format("batches %d, errors %d, p50 %.1f ms, p99 %.1f ms\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
