-- levels.lua - set log.level from the level word of common log formats.
--
-- Use:  logmash --enrich scripts/levels.lua app.log
--
-- Recognises, in this order:
--   key=value and JSON fields   level=warn  severity=ERROR  "level":"error"
--   bracketed words             [error] [WARN] [notice]         (Apache, many apps)
--   a level word near the start 2026-11-26 10:00:01 WARN ...   (log4j, logback,
--                               Python logging, Spark, Hadoop, Zookeeper, OpenStack)
--   logcat's letter             03-17 16:13:38.811 1702 2395 D Tag: ...  (Android)
--   syslog's <PRI>              <11>Nov 26 ...   (the severity is PRI % 8)
--   the HTTP status of an access log line: 5xx Error, 4xx Warning (nginx, Apache)
-- A line with none of these keeps whatever level it had (none by default).
-- logmash maps the words to the API's levels: debug and info are Information,
-- warn is Warning, err, fatal and critical are Error.

local words = {
  trace = true, debug = true, info = true, notice = true, warn = true,
  warning = true, error = true, err = true, fatal = true, critical = true,
  crit = true, severe = true, alert = true, emerg = true, panic = true,
}

-- How far into the line a bare level word may start: past that it is more
-- likely part of the message ("... retrying after error").
local HEAD = 160

local syslog_severity = { [0] = "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" }

local function known(word)
  return word and words[word:lower()] and word
end

local function from_line(m)
  local w = m:match("[%s,{]level%s*=%s*\"?(%a+)") or m:match("^level%s*=%s*\"?(%a+)")
    or m:match("severity%s*=%s*\"?(%a+)")
    or m:match("\"level\"%s*:%s*\"(%a+)\"") or m:match("\"severity\"%s*:%s*\"(%a+)\"")
  if known(w) then return w end

  local head = m:sub(1, HEAD)
  for b in head:gmatch("%[(%a+)%]") do
    if known(b) then return b end
  end
  -- An upper-case or capitalised word standing alone near the start.
  for w2 in head:gmatch("%f[%a](%a+)%f[^%a]") do
    if (w2 == w2:upper() or w2 == w2:sub(1, 1):upper() .. w2:sub(2):lower())
        and known(w2) and #w2 > 2 then
      return w2
    end
  end

  local letter = m:match("^%d%d%-%d%d %d[%d:%.]+%s+%d+%s+%d+ ([VDIWEF]) ")
  if letter then return letter end

  local pri = tonumber(m:match("^<(%d+)>"))
  if pri then return syslog_severity[pri % 8] end

  local status = tonumber(m:match("\"%u+ [^\"]* HTTP/[%d.]+\" (%d%d%d) "))
  if status then
    if status >= 500 then return "Error" elseif status >= 400 then return "Warning" end
    return "Information"
  end
  return nil
end

function enrich(log)
  local level = from_line(log.message)
  if level then log.level = level end
end
