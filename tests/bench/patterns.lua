-- W1's enrich written without logmash's helpers: Lua patterns for the head
-- and the key=value pairs, and an RFC 3339 time parser and formatter in
-- Lua. Runs in logmash and in the stock lua5.4 (lua_only.lua) alike.
local level_of = { INFO = "Information", WARN = "Warning", ERROR = "Error", DEBUG = "Information" }

-- Days from 1970-01-01 to a date (Howard Hinnant's days_from_civil).
local function days(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m > 2 and m - 3 or m + 9) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function parse_time(s)
  local y, mo, d, h, mi, sec, frac, zone =
    s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)([%.,]?%d*)(.*)$")
  if not y then return nil end
  local t = days(tonumber(y), tonumber(mo), tonumber(d)) * 86400
    + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec)
  if #frac > 1 then t = t + tonumber("0." .. frac:sub(2)) end
  if zone ~= "" and zone ~= "Z" and zone ~= "z" then
    local sign, zh, zm = zone:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    local off = tonumber(zh) * 3600 + tonumber(zm) * 60
    t = sign == "+" and t - off or t + off
  end
  return t
end

local function format_time(t)
  local whole = math.floor(t)
  local ms = math.floor((t - whole) * 1000 + 0.5)
  if ms == 1000 then whole, ms = whole + 1, 0 end
  return os.date("!%Y-%m-%dT%H:%M:%S", whole) .. string.format(".%03dZ", ms)
end

function enrich(log)
  local time, word, worker, rest = log.message:match("^(%S+) (%u+)%s+%[([^%]]+)%] (.*)$")
  if not time then return end
  log.level = level_of[word] or "Information"
  log.items.worker = worker
  local kv = {}
  for k, v in rest:gmatch("([%w_]+)=(%S*)") do kv[k] = v end
  log.items.user = kv.user
  local t = parse_time(time)
  if t then log.items.time = format_time(t) end
  log.items.host = "bench-host"
end
