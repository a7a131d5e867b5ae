-- wrk script: GET /boot/<mac>.ipxe for a random one of the COUNT registered MACs (52:54:00:xx:xx:xx, see
-- Fabric.Bench.Api), in a random one of the notations firmware and operators use.
local count = tonumber(os.getenv("BENCH_COUNT") or "10000")
local notations = {
  function(a, b, c) return string.format("52:54:00:%02x:%02x:%02x", a, b, c) end,
  function(a, b, c) return string.format("52-54-00-%02X-%02X-%02X", a, b, c) end,
  function(a, b, c) return string.format("525400%02x%02x%02x", a, b, c) end,
}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
  local i = math.random(0, count - 1)
  local notation = notations[math.random(1, #notations)]
  local mac = notation(math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
  return wrk.format("GET", "/boot/" .. mac .. ".ipxe")
end

local errors = 0

function response(status, headers, body)
  if status ~= 200 or body:sub(1, 6) ~= "#!ipxe" then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("boot scripts: %d requests, p50 %.2f ms, p99 %.2f ms, non-2xx %d\n",
    summary.requests, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
