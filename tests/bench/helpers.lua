-- W1's enrich written with logmash's helpers: logmash.regex with named
-- captures for the head of each line, parse_kv for its key=value part,
-- parse_time and format_time for its timestamp. The same items as
-- patterns.lua gives (bench.py checks they are the same, body for body).
local head = logmash.regex([=[^(?<time>\S+) (?<level>[A-Z]+)\s+\[(?<worker>[^\]]+)\] (?<rest>.*)$]=])
local level_of = { INFO = "Information", WARN = "Warning", ERROR = "Error", DEBUG = "Information" }

function enrich(log)
  local m = head:match(log.message)
  if not m then return end
  log.level = level_of[m.level] or "Information"
  log.items.worker = m.worker
  local kv = logmash.parse_kv(m.rest)
  if kv then log.items.user = kv.user end
  local t = logmash.parse_time(m.time)
  if t then log.items.time = logmash.format_time(t) end
  log.items.host = "bench-host"
end
