-- GET of the path in $BENCH_PATH (a list page).
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local path = os.getenv("BENCH_PATH")
request = function()
  return wrk.format("GET", path)
end
