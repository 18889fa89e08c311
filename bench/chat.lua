-- wrk script for the kt load benchmark: POSTs the chat request in $KT_BENCH_BODY (default bench/prompt.json)
-- with extra headers from $KT_BENCH_HEADERS ("name: value" lines separated by "\n" or "|").
local path = os.getenv("KT_BENCH_BODY") or "bench/prompt.json"
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-not-a-real-key"

local extra = os.getenv("KT_BENCH_HEADERS") or ""
for line in string.gmatch(extra, "[^|\n]+") do
  local name, value = string.match(line, "^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end
