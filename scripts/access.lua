-- access.lua - web server access logs (Apache's common and combined, nginx's
-- default combined) to the API's shape: the level from the status (5xx Error,
-- 4xx Warning, else Information) and the items client, method, path, status,
-- bytes and agent.
--
-- Use:  logmash --enrich scripts/access.lua /var/log/nginx/access.log

function enrich(log)
  local a = logmash.parse_access(log.message)
  if not a then return end
  log.level = a.status >= 500 and "Error" or a.status >= 400 and "Warning" or "Information"
  log.items.client = a.client
  log.items.method = a.method
  log.items.path = a.path
  log.items.status = a.status
  log.items.bytes = a.bytes
  log.items.agent = a.agent
end
