-- POST a new person each request (the email carries the run, the thread and a counter).
-- Args: <path> <api key> <run id>. The bare endpoint gets the same bodies.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  path, key, run, n = args[1], args[2], args[3], 0
end

function request()
  n = n + 1
  local c = n % 5000
  local body = string.format(
    '{"email":"w%s-%d-%d@company%d.example.com","first_name":"Ada","last_name":"Lovelace",'
      .. '"title":"VP Engineering","company":"Company %d Ltd","website":"https://www.company%d.example.com",'
      .. '"country":"United Kingdom","phone":"+44 20 7183 8750","employees":"250"}',
    run, tid, n, c, c, c)
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
  return wrk.format("POST", path, headers, body)
end
