-- drop_noise.lua - drop lines nobody reads: health checks, probes, debug chatter.
--
-- Use:  logmash --filter scripts/drop_noise.lua app.log
-- Edit the two tables below to taste; both are matched as plain text.

-- A line containing any of these is dropped.
local noise = {
  "GET /healthz", "GET /health ", "GET /ping ", "GET /ready", "GET /live",
  "kube-probe/", "ELB-HealthChecker/",
}

-- A line whose level word (near its start) is one of these is dropped.
local quiet_levels = { DEBUG = true, TRACE = true, debug = true, trace = true }

function filter(log)
  local m = log.message
  for i = 1, #noise do
    if m:find(noise[i], 1, true) then return false end
  end
  for w in m:sub(1, 60):gmatch("%f[%a](%a+)%f[^%a]") do
    if quiet_levels[w] then return false end
  end
  return true
end
