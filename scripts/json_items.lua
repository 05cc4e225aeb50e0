-- json_items.lua - JSON log lines (one object a line) into message, level and items.
--
-- Use:  logmash --enrich scripts/json_items.lua app.log
--
-- {"ts":"...","level":"warn","msg":"disk low","disk":{"free":12},"host":"a1"}
-- becomes message "disk low", level Warning, and items ts, host, disk.free.
-- Lines that are not JSON objects pass through untouched.

local message_keys = { "message", "msg", "log", "text" }
local level_keys = { "level", "severity", "lvl", "loglevel" }
local MAX_DEPTH = 3 -- nested objects become dotted keys down to this depth

local function flatten(t, prefix, out, depth)
  for k, v in pairs(t) do
    local key = prefix .. tostring(k)
    local kind = type(v)
    if kind == "table" then
      if depth < MAX_DEPTH then flatten(v, key .. ".", out, depth + 1) end
    elseif kind == "string" or kind == "number" or kind == "boolean" then
      out[key] = v
    end
  end
end

function enrich(log)
  if log.message:sub(1, 1) ~= "{" then return end
  local obj = logmash.json_decode(log.message)
  if type(obj) ~= "table" then return end

  for _, k in ipairs(message_keys) do
    if type(obj[k]) == "string" and obj[k] ~= "" then
      log.message = obj[k]
      obj[k] = nil
      break
    end
  end
  for _, k in ipairs(level_keys) do
    if type(obj[k]) == "string" then
      log.level = obj[k] -- logmash normalises info/warn/err/...; unknown words fail
      obj[k] = nil
      break
    end
  end
  flatten(obj, "", log.items, 1)
end
