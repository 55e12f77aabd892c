-- wrk script of tests/rolling/test_rolling_restart.py: native pings through HAProxy, each for a
-- new content id of one of several users (bearer tokens from ROLLING_TOKENS, "user=token,..."),
-- keeping the content ids whose ping was acknowledged (2xx), so the test can read every one back.
-- done() writes them to ROLLING_ACKED and prints one summary line: wrk's own summary counts only
-- status >= 400 and prints nothing for a count of zero, so the test reads this line instead.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for pair in string.gmatch(os.getenv("ROLLING_TOKENS"), "[^,]+") do
    local user, token = pair:match("^([^=]+)=(.+)$")
    table.insert(tokens, {user = user, token = token})
  end
  counter = 0
  acked = {}
  non2xx = 0
end

function request()
  counter = counter + 1
  local who = tokens[(counter % #tokens) + 1]
  local content = string.format("%s.t%d.%d", who.user, id, counter)
  local body = string.format('{"content_id":"%s","position_seconds":%d,"duration_seconds":600}',
                             content, counter % 600)
  return wrk.format("POST", "/v1/progress",
                    {["Authorization"] = "Bearer " .. who.token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    local content = body:match('"content_id"%s*:%s*"([^"]+)"')
    if content then acked[#acked + 1] = content end
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("ROLLING_ACKED"), "w"))
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    for _, content in ipairs(thread:get("acked")) do out:write(content, "\n") end
  end
  out:close()
  local e = summary.errors
  io.write(string.format(
    "ROLLING requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d status=%d duration_us=%d\n",
    summary.requests, non2xx_total, e.connect, e.read, e.write, e.timeout, e.status, summary.duration))
end
