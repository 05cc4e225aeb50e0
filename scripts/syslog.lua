-- syslog.lua - syslog lines (/var/log/syslog, auth.log, RFC 5424 from a
-- relay) to the API's shape: the message without its header, the level from
-- the severity, else from a level word in the message, and the items host,
-- app and pid.
--
-- Use:  logmash --enrich scripts/syslog.lua /var/log/syslog /var/log/auth.log
--
-- A line that is not syslog goes on as it came (it is counted as no error).

-- "error: ...", "<warning> ...", "[crit] ..." at the start of the message, or
-- an upper-case level word standing alone anywhere in it.
local lead = logmash.regex(
  [[^[\[<(]?(?<w>emerg|alert|crit|critical|err|error|fatal|warn|warning|notice|info|debug)\b]], "i")
local shouting = logmash.regex([[\b(?<w>FATAL|CRITICAL|ERROR|WARN|WARNING|NOTICE|INFO|DEBUG)\b]])
-- The words logmash does not know as aliases, as the ones it does.
local same = { emerg = "fatal", alert = "fatal", crit = "critical" }

local function level_word(message)
  local m = lead:match(message) or shouting:match(message)
  if not m then return nil end
  local w = m.w:lower()
  return same[w] or w
end

function enrich(log)
  local s = logmash.parse_syslog(log.message)
  if not s then return end
  log.level = s.level or level_word(s.message) or log.level
  log.items.host = s.host
  log.items.app = s.app
  log.items.pid = s.pid
  if s.msgid then log.items.msgid = s.msgid end
  if s.message ~= "" then log.message = s.message end
end
