-- W1's enrich: the level from the line's level word, and three items.
local level_of = { INFO = "Information", WARN = "Warning", ERROR = "Error", DEBUG = "Information" }

function enrich(log)
  local word, worker = log.message:match("^%S+ (%u+)%s+%[([^%]]+)%]")
  log.level = level_of[word] or "Information"
  log.items.worker = worker
  log.items.user = log.message:match("user=(%d+)")
  log.items.host = "bench-host"
end
