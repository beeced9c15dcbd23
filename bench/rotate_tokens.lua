-- wrk script: every request carries the access token of the next benchmark user in turn.
--
--   wrk [options] --script bench/rotate_tokens.lua URL -- TOKENS_FILE [METHOD BODY]
--
-- TOKENS_FILE holds one access token a line; without METHOD and BODY (JSON) it sends GETs.
-- The API limits requests per user and minute; spreading the load over many users keeps
-- each one under that limit, as the traffic of many people would, so that the measured
-- path includes the throttle but never a 429.
-- done() prints one line "BENCH-RESULT {json}" that bench/load.py reads.

local prepared = {}
local position = 1

function init(args)
  local path = args[1]
  if path == nil then
    error("give the tokens file after --")
  end
  if args[2] ~= nil then
    wrk.method = args[2]
    wrk.body = args[3]
    wrk.headers["Content-Type"] = "application/json"
  end
  for token in io.lines(path) do
    if token ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. token
      prepared[#prepared + 1] = wrk.format()
    end
  end
  if #prepared == 0 then
    error("no token in " .. path)
  end
end

function request()
  local chosen = prepared[position]
  position = position % #prepared + 1
  return chosen
end

dofile("bench/wrk_result.lua")
