-- wrk script: POST an OpenAI chat completion with custom headers.
-- Usage: wrk -t1 -c32 -d10s -s post.lua http://127.0.0.1:8787/v1/chat/completions
-- Environment (all optional):
--   HEADERS  extra headers, separated by '|', e.g. "x-portkey-provider: openai|x-portkey-custom-host: http://127.0.0.1:9911/v1"
--   AUTH     bearer token (default sk-x); set AUTH=none to send no Authorization header
--   STREAM   "1" to send "stream": true
--   MODEL    model name (default gpt-4o-mini)
--   BODY_FILE path to a JSON file used verbatim as the body (overrides MODEL/STREAM)
local model  = os.getenv("MODEL") or "gpt-4o-mini"
local stream = os.getenv("STREAM") == "1"
local auth   = os.getenv("AUTH") or "sk-x"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if auth ~= "none" then wrk.headers["Authorization"] = "Bearer " .. auth end
for h in string.gmatch(os.getenv("HEADERS") or "", "[^|]+") do
  local k, v = h:match("^%s*([^:]+):%s*(.-)%s*$")
  if k then wrk.headers[k] = v end
end

local bf = os.getenv("BODY_FILE")
if bf then
  local f = assert(io.open(bf, "rb")); wrk.body = f:read("*a"); f:close()
else
  wrk.body = '{"model":"' .. model .. '",' .. (stream and '"stream":true,' or '') ..
    '"messages":[{"role":"system","content":"You are a helpful assistant."},' ..
    '{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}'
end

-- Count status codes per thread; report non-2xx at the end (wrk only prints non-2xx/3xx totals).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {} end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("codes")
    if c then for k, v in pairs(c) do total[k] = (total[k] or 0) + v end end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, k .. "=" .. v) end
  table.sort(parts)
  io.write("status codes: " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("latency p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
