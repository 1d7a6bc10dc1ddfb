-- POST of the JSON file $BENCH_BODY to $BENCH_PATH (creates). Each `{n}` in
-- the body becomes a number unique to the request, so that the created
-- records differ as real ones do (a thousand identical customers would
-- be one giant duplicate group for the data-quality statistics), and each
-- `{customer}` a random id of the prepared sample of customers with an
-- active owner: orders of many customers, as a sales force places them
-- (all of one customer's would queue on that customer's rollup row).
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local file = io.open(os.getenv("BENCH_BODY"))
local body = file:read("*a")
file:close()
local path = os.getenv("BENCH_PATH")
local customers = {}
local sample = io.open(os.getenv("BENCH_DIR") .. "/order_customer_ids")
if sample then
  for line in sample:lines() do
    customers[#customers + 1] = line
  end
  sample:close()
end
local counter = 0
local threads = 0
-- Each wrk thread gets its own number (`id`), and each run its own time.
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local n = os.time() .. "-" .. (id or 0) .. "-" .. counter
  local text = body:gsub("{n}", n)
  if #customers > 0 then
    text = text:gsub("{customer}", customers[math.random(#customers)])
  end
  return wrk.format("POST", path, nil, text)
end
