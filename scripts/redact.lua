-- redact.lua - take secrets out of messages and items before they leave the
-- machine: passwords, tokens and API keys, bearer credentials, card numbers.
--
-- Use:  logmash --enrich scripts/redact.lua app.log   (last in the chain, so
--       that items other scripts add are redacted too)
--
-- What it replaces with [REDACTED]:
--   key=value, key: value and "key":"value" where the key names a secret
--   (password, passwd, pwd, secret, token, api_key, apikey, access_key,
--   private_key, client_secret, any case, any prefix such as db_password)
--   "Bearer xxx" and "Basic xxx" credentials
--   item values whose key names a secret
-- and with [CARD] runs of 13 to 19 digits (spaces or dashes between groups
-- allowed) that pass the Luhn check card numbers carry, so timestamps,
-- order ids and phone numbers are left alone.

local secret_words = {
  "password", "passwd", "pwd", "secret", "token", "api_key", "apikey",
  "access_key", "private_key", "client_secret",
}

-- A key names a secret if it contains one of the words (any case).
local function is_secret(key)
  local k = key:lower()
  for i = 1, #secret_words do
    if k:find(secret_words[i], 1, true) then return true end
  end
  return false
end

local function luhn(digits)
  local sum, alt = 0, false
  for i = #digits, 1, -1 do
    local d = digits:byte(i) - 48
    if alt then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    sum = sum + d
    alt = not alt
  end
  return sum % 10 == 0
end

local function redact_cards(s)
  -- A digit run with optional single spaces or dashes inside, 13-19 digits.
  return (s:gsub("%f[%d][%d][%d %-]+[%d]%f[%D]", function(run)
    local digits = run:gsub("[ %-]", "")
    if #digits >= 13 and #digits <= 19 and not run:find("[ %-][ %-]") and luhn(digits) then
      return "[CARD]"
    end
  end))
end

local function redact_text(s)
  -- "key": "value" (JSON)
  s = s:gsub('("([%w_%-%.]+)"%s*:%s*)"([^"]*)"', function(prefix, key, value)
    if is_secret(key) and value ~= "" then return prefix .. '"[REDACTED]"' end
  end)
  -- key=value and key: value (up to a space, comma, semicolon, quote or &)
  s = s:gsub("(([%w_%-%.]+)%s?[=:]%s?)([^%s,;&\"']+)", function(prefix, key, value)
    if is_secret(key) then return prefix .. "[REDACTED]" end
  end)
  -- credentials in an Authorization header
  s = s:gsub("([Bb]earer%s+)[%w%-%._~%+/]+=*", "%1[REDACTED]")
  s = s:gsub("([Bb]asic%s+)[%w%+/]+=*", "%1[REDACTED]")
  return redact_cards(s)
end

function enrich(log)
  log.message = redact_text(log.message)
  for k, v in pairs(log.items) do
    if is_secret(k) then
      log.items[k] = "[REDACTED]"
    else
      log.items[k] = redact_text(v)
    end
  end
end
