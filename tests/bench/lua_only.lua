-- The Lua stage's baseline: W1's two scripts in the stock interpreter, a
-- fresh log table a line, nothing else (no JSON, no sending).
-- usage: lua5.4 lua_only.lua FILTER ENRICH < app.log
dofile(arg[1])
dofile(arg[2])
local n, kept = 0, 0
for line in io.lines() do
  n = n + 1
  local log = { message = line, items = {}, source = "-", line = n }
  if filter(log) then
    enrich(log)
    kept = kept + 1
  end
end
io.stderr:write(("%d lines, %d kept\n"):format(n, kept))
