-- wrk script for bench/submit.py: every request submits one generation with its own prompt and
-- Idempotency-Key, the bench users' tokens taken in turn; the answers are counted by status.
-- Environment: SUBMIT_PATH, SUBMIT_RUN (a name for this run), SUBMIT_TOKENS ("token:team,...").

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for entry in string.gmatch(os.getenv("SUBMIT_TOKENS"), "[^,]+") do
    local token, team = entry:match("^([^:]+):([^:]+)$")
    table.insert(tokens, { token, team })
  end
  path = os.getenv("SUBMIT_PATH")
  run = os.getenv("SUBMIT_RUN")
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  local entry = tokens[(counter * 7 + id) % #tokens + 1]
  local body = string.format(
    '{"prompt": "bench %s %d-%d: a lighthouse at dusk", "n": 1, "size": "256x256", "team": "%s"}',
    run, id, counter, entry[2])
  local headers = {
    ["Authorization"] = "Bearer " .. entry[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, id, counter),
  }
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  for status, count in pairs(counts) do
    io.write(string.format("wrk-status %d %d\n", status, count))
  end
  local errors = summary.errors
  io.write(string.format("wrk-requests %d\n", summary.requests))
  io.write(string.format("wrk-duration-us %d\n", summary.duration))
  io.write(string.format("wrk-socket-errors %d\n",
    errors.connect + errors.read + errors.write + errors.timeout))
  io.write(string.format("wrk-p50-us %d\n", latency:percentile(50)))
  io.write(string.format("wrk-p99-us %d\n", latency:percentile(99)))
end
