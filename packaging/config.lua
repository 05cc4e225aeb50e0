-- logmash config file (Lua). Command-line options override what is set here.
-- Relative paths are relative to this file's folder.

url = "https://api.codemash.io"
api_version = "v1"                 -- CodeMash's SDKs use "v2"
project_id = "00000000-0000-0000-0000-000000000000"
token_file = "/etc/logmash/token"  -- or set CODEMASH_TOKEN; never put the token here

inputs = { "/var/log/myapp/*.log" }
follow = true
-- state_dir = "/var/lib/logmash"  -- the systemd unit passes --state-dir

-- Run in this order. Copy the examples from @DATADIR@/scripts.
scripts = {
  { filter = "@DATADIR@/scripts/drop_noise.lua" },
  { enrich = "@DATADIR@/scripts/levels.lua" },
  { enrich = "@DATADIR@/scripts/add_host.lua" },
}

concurrency = "adaptive"  -- or "fixed": always max_in_flight
max_in_flight = 1024
max_connections = 0     -- 0: 4 over HTTP/2, 128 over HTTP/1.1
max_retries = -1        -- retry transient failures until they succeed
timeout = 30
connect_timeout = 10
drain_timeout = 10
max_line_bytes = "1M"
script_memory = "64M"
unsafe_scripts = false
rotate_wait = 5
close_inactive = 300
flush_partial = 5
-- multiline_start = "^[0-9]{4}-"  -- Java/Python: a record starts with a date
multiline_timeout = 2
multiline_max_lines = 500
-- rate_limit = 1000               -- requests a second, at most
retry_base = 0.2
retry_max = 30
-- dead_letter = "/var/lib/logmash/dead-letters.jsonl"  -- default with a state directory
-- dead_letter_max_bytes = "64M"  -- rotated past this; dead_letter_keep = 4 rotated files kept
queue_max = 8192
queue_max_bytes = "32M"
spool_max_bytes = "256M"
