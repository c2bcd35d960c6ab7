-- Replay pre-signed webhook deliveries (Standard Webhooks), each once: wrk's Lua has no HMAC.
-- Args: <path> <file of "id<TAB>timestamp<TAB>signature<TAB>body" lines>.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
  thread:set("count", 0)
end

function init(args)
  path, deliveries, i = args[1], {}, 0
  local line_no = 0
  for line in io.lines(args[2]) do
    line_no = line_no + 1
    if line_no % 2 == tid % 2 then  -- two threads share the file, one line each
      table.insert(deliveries, line)
    end
  end
end

function request()
  i = i + 1
  local line = deliveries[(i - 1) % #deliveries + 1]
  local id, ts, sig, body = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)")
  local headers = {
    ["Content-Type"] = "application/json",
    ["webhook-id"] = id, ["webhook-timestamp"] = ts, ["webhook-signature"] = sig,
  }
  return wrk.format("POST", path, headers, body)
end
