-- One script for every scenario: the runner passes the request through environment variables,
-- and `done` prints the figures as one JSON line so nothing depends on wrk's text layout.
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
local token = os.getenv("BENCH_TOKEN") or ""
local expected = tonumber(os.getenv("BENCH_EXPECT_STATUS") or "0")

wrk.method = method
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- wrk only counts non-2xx/3xx answers; a scenario that expects a 4xx (a wrong password) counts
-- the answers that differ from it here instead. Defining `response` makes wrk hand every
-- answer to Lua, so it stays undefined where the summary's count is enough.
if expected > 0 then
  unexpected = 0
  function response(status, headers, answer)
    if status ~= expected then
      unexpected = unexpected + 1
    end
  end
end

local percentiles = { 50, 75, 90, 95, 99, 99.9 }

function done(summary, latency, requests)
  local unexpected_total = 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
  end
  local parts = {}
  for _, p in ipairs(percentiles) do
    table.insert(parts, string.format('"%s":%d', tostring(p), latency:percentile(p)))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,'
      .. '"write":%d,"status":%d,"timeout":%d,"unexpected":%d,"expect_status":%d,'
      .. '"max_us":%d,"percentiles_us":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, unexpected_total, expected,
    latency.max, table.concat(parts, ",")
  ))
end
