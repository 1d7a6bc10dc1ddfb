-- POST of the JSON file $BENCH_BODY to $BENCH_PATH (creates).
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local file = io.open(os.getenv("BENCH_BODY"))
local body = file:read("*a")
file:close()
local path = os.getenv("BENCH_PATH")
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format("POST", path, nil, body)
end
