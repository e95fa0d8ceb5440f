-- wrk script for one benchmark scenario, chosen by BENCH_SCENARIO.
-- Ids to pick from, one a line, come from BENCH_IDS_FILE; BENCH_TOKEN is a bearer token.
local scenario = os.getenv("BENCH_SCENARIO")
local token = os.getenv("BENCH_TOKEN") or ""
local login_body = os.getenv("BENCH_LOGIN_BODY") or ""
-- Distinct per wrk run, so a warm-up's idempotency keys are never reused.
local run_tag = os.getenv("BENCH_RUN_TAG") or tostring(os.time())
local threads = 0
local ids = {}
local sent = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  local path = os.getenv("BENCH_IDS_FILE")
  if path then
    for line in io.lines(path) do
      ids[#ids + 1] = line
    end
  end
  math.randomseed(os.time() * 1000 + thread_number)
end

local function any_id()
  return ids[math.random(#ids)]
end

function request()
  local auth = { ["Authorization"] = "Bearer " .. token }
  if scenario == "product" then
    return wrk.format("GET", "/api/v1/products/" .. any_id())
  elseif scenario == "product_page" then
    return wrk.format("GET", "/api/v1/products?limit=20")
  elseif scenario == "order" then
    return wrk.format("GET", "/api/v1/orders/" .. any_id(), auth)
  elseif scenario == "place_order" then
    sent = sent + 1
    auth["Content-Type"] = "application/json"
    auth["Idempotency-Key"] = run_tag .. "-" .. thread_number .. "-" .. sent
    local body = '{"items":[{"product_id":"' .. any_id() .. '","quantity":1}]}'
    return wrk.format("POST", "/api/v1/orders", auth, body)
  elseif scenario == "login" then
    local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }
    return wrk.format("POST", "/api/v1/auth/token", form, login_body)
  elseif scenario == "baseline" then
    return wrk.format("GET", "/products/" .. any_id())
  end
  error("unknown BENCH_SCENARIO " .. tostring(scenario))
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
