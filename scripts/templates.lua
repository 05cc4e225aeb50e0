-- templates.lua - which kind of line each log is: items template_id and
-- template, from logmash.template, the miner built into logmash.
--
-- Use:  logmash -e scripts/templates.lua app.log
--
-- "Invalid user admin from 10.0.0.7" gets template "Invalid user <*> from
-- <*>" and the id every other line of that kind gets, so that the stored logs
-- can be grouped and counted by their kind. An id stays the same while its
-- template generalises; how the miner decides: docs/templates.md.

function enrich(log)
  local id, template = logmash.template(log.message)
  log.items.template_id = id
  log.items.template = template
end
