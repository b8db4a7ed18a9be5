-- Each request asks POST /api/v1/entitlements/check about FEATURE for the demo customer demo_acme (pro plan).
wrk.method = "POST"
wrk.path = "/api/v1/entitlements/check"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
wrk.body = string.format('{"external_customer_id":"demo_acme","feature":"%s"}', os.getenv("FEATURE"))

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d, non-2xx %d, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
