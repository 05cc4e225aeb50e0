url = "https://x"
timeout = 5
follow = true
inputs = { "a.log", "/var/log/*.log" }
scripts = { { filter = "f.lua" }, { enrich = "e.lua" } }
max_line_bytes = "64K"
