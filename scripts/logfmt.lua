-- logfmt.lua - logfmt lines (key=value key="quoted value", as Go services,
-- Heroku and many others write them) to the API's shape: msg (or message)
-- becomes the message, level (or lvl, severity) the level, time the RFC 3339
-- time in UTC, and every other pair an item.
--
-- Use:  logmash --enrich scripts/logfmt.lua /var/log/myapp/app.log

local message_keys = { "msg", "message" }
local level_keys = { "level", "lvl", "severity" }

local function take(kv, keys)
  for _, k in ipairs(keys) do
    local v = kv[k]
    if v then kv[k] = nil return v end
  end
end

function enrich(log)
  local kv = logmash.parse_kv(log.message)
  if not kv then return end
  local msg = take(kv, message_keys)
  local level = take(kv, level_keys)
  if kv.time or kv.ts then
    local t = logmash.parse_time(kv.time or kv.ts)
    if t then
      kv.time, kv.ts = logmash.format_time(t), nil
    end
  end
  for k, v in pairs(kv) do log.items[k] = v end
  -- A level word logmash does not know stays an item, rather than an error.
  if level then
    log.level = logmash.level(level) or log.level
    if not logmash.level(level) then log.items.level = level end
  end
  if msg and msg ~= "" then log.message = msg end
end
