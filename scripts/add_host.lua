-- add_host.lua - tag every log with the host it came from, the file it was
-- read from, and the environment it runs in.
--
-- Use:  LOGMASH_ENV=production logmash --enrich scripts/add_host.lua /var/log/app.log
--
-- The environment comes from the LOGMASH_ENV variable, read once; without it
-- there is no env item.

local env = os.getenv("LOGMASH_ENV")
if env == "" then env = nil end

function enrich(log)
  log.items.host = logmash.hostname
  log.items.file = log.source
  log.items.env = env
end
