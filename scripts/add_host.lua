-- add_host.lua - tag every log with the host it came from and the file it was read from.
--
-- Use:  logmash --enrich scripts/add_host.lua /var/log/app.log

function enrich(log)
  log.items.host = logmash.hostname
  log.items.file = log.source
end
