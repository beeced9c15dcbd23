-- wrk script: claim, or complete, tasks that each request names, as the user each line names.
--
--   wrk [options] --script bench/task_actions.lua URL -- LINES_FILE ACTION THREADS [BODY]
--
-- LINES_FILE holds "TOKEN TASK_ID" lines; ACTION is claim or complete, THREADS wrk's --threads,
-- BODY the JSON sent. Each of the THREADS takes every THREADS-th line, so no task is asked for twice; a thread that runs
-- out of lines asks for its last task again, which answers 409 and counts as an error.
-- done() prints one line "BENCH-RESULT {json}" as rotate_tokens.lua does.

local started = 0

function setup(thread)
  thread:set("index", started)
  started = started + 1
end

local prepared = {}
local position = 1

function init(args)
  local path, action, threads, body = args[1], args[2], tonumber(args[3]), args[4]
  if path == nil or action == nil or threads == nil then
    error("give the lines file, the action and the number of threads after --")
  end
  local count = 0
  for line in io.lines(path) do
    local token, task = line:match("^(%S+) (%S+)$")
    if token ~= nil then
      count = count + 1
      if count % threads == index then
        local headers = {}
        for name, value in pairs(wrk.headers) do headers[name] = value end
        headers["Authorization"] = "Bearer " .. token
        headers["Content-Type"] = "application/json"
        prepared[#prepared + 1] = wrk.format("POST", "/api/v1/tasks/" .. task .. "/" .. action .. "/", headers, body or "{}")
      end
    end
  end
  if #prepared == 0 then
    error("no line for this thread in " .. path)
  end
end

function request()
  local chosen = prepared[position]
  if position < #prepared then
    position = position + 1
  end
  return chosen
end

dofile("bench/wrk_result.lua")
