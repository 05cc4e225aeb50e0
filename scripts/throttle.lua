-- throttle.lua - at most PER_SECOND logs a second of each kind of line, and
-- every warning and error.
--
-- Use:  logmash -e scripts/levels.lua -e scripts/throttle.lua app.log
--       (after whatever sets the levels: a log with none is throttled)
--
-- The kind is the template logmash.template finds ("Invalid user <*> from
-- <*>"), so a flood of one kind is cut without naming it first, and the
-- other kinds go through untouched. A log kept after a throttled stretch of
-- its kind gets item "throttled" = how many were dropped before it, so that
-- whoever counts the stored logs can add them back. The throttle's keys are
-- bounded by volume_keys_max; its kept and dropped counts are shown per
-- script in the dashboard, `logmash status` and /metrics.

local PER_SECOND = 10  -- logs a second of each template
local BURST = 20       -- how many may come at once after a quiet spell

function enrich(log)
  if log.level == "Warning" or log.level == "Error" then
    return true
  end
  local id = logmash.template(log.message)
  local ok, dropped = logmash.throttle(id, PER_SECOND, BURST)
  if not ok then
    return false
  end
  if dropped > 0 then
    log.items.throttled = dropped
  end
  return true
end
