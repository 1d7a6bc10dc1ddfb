-- GET /api/v1/customers/{id}, a random id of the prepared sample per request.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local ids = {}
for line in io.lines(os.getenv("BENCH_DIR") .. "/customer_ids") do
  ids[#ids + 1] = line
end
request = function()
  return wrk.format("GET", "/api/v1/customers/" .. ids[math.random(#ids)])
end
