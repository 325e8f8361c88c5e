-- Stop after at least N responses (`wrk ... -s count.lua URL -- N`).
local limit = 10000
local seen = 0

function init(args)
  if args[1] then
    limit = tonumber(args[1])
  end
end

function response(status, headers, body)
  seen = seen + 1
  if seen >= limit then
    wrk.thread:stop()
  end
end
