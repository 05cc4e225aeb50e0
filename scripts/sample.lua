-- sample.lua - keep 1 in N of a noisy kind of log, all the others.
--
-- Use:  logmash --filter scripts/sample.lua app.log
--
-- Each rule matches lines containing its text (plain text, not a pattern)
-- and keeps every keep-th of them, starting with the first: counting, not
-- chance, so the rate is exact and a test can rely on it. A kept line gets an
-- item "sampled" ("1/100") so that whoever counts them knows to multiply.
-- Lines no rule matches are all kept. The counters start afresh when the
-- scripts are reloaded (SIGHUP).

local rules = {
  { text = "GET /api/status", keep = 100 },
  { text = "cache hit", keep = 10 },
}

local seen = {}

function filter(log)
  local m = log.message
  for i = 1, #rules do
    local r = rules[i]
    if m:find(r.text, 1, true) then
      local n = (seen[i] or 0) + 1
      seen[i] = n
      if (n - 1) % r.keep ~= 0 then return false end
      log.items.sampled = "1/" .. r.keep
      return true
    end
  end
  return true
end
