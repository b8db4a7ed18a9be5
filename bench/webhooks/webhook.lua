-- Each request is one signed Razorpay event from EVENTS (a file of id, tab, signature, tab, body lines), each thread
-- taking every THREADS-th line so that no event is sent twice; past the end a thread starts again (duplicates).
local lines = {}
local index = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(os.getenv("THREADS") or "2")
  local n = 0
  for line in io.lines(os.getenv("EVENTS")) do
    if n % count == id then table.insert(lines, line) end
    n = n + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  index = index % #lines + 1
  local event, signature, body = lines[index]:match("([^\t]+)\t([^\t]+)\t(.*)")
  return wrk.format(nil, "/webhooks/razorpay", { ["X-Razorpay-Event-Id"] = event, ["X-Razorpay-Signature"] = signature }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("events %d, errors %d, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
