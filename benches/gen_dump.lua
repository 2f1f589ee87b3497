-- Server-side batch generator for benches/gen_dump.py (loaded with SCRIPT LOAD,
-- run with EVALSHA). Every call creates one batch of keys of one kind.
--
-- ARGV[1] kind, ARGV[2] PRNG seed (< 2^31), ARGV[3] first id, ARGV[4] count,
-- ARGV[5] "now" in Unix ms (TTLs are relative to it), ARGV[6..] kind-specific.
-- Returns the number of keys (or members) written, except for `census`.
--
-- Redis re-seeds its Lua PRNG before every script, and math.randomseed makes
-- the stream depend only on the seed passed here, so the data set is a pure
-- function of (seed, kind, first id, count); only the absolute TTLs (and
-- stream consumer/PEL times, set by Redis) depend on the wall clock.
--
-- Profiles (gen_dump.py --profile): `mixed` runs the kinds `session` to
-- `stream_group`; `ttl-heavy` runs the same ones, the round kinds as
-- "ttl:<kind>" (the batch of <kind>, then ~95 % of the keys it wrote get a
-- new expiry time from spread_at, the rest none), plus `quota_cluster` and
-- `minute_cluster`; `many-prefix` runs `tenants`. The "ttl:" prefix changes
-- nothing else: the keys and values are those of <kind> with the same seed.

local kind = ARGV[1]
math.randomseed(tonumber(ARGV[2]))
local start = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local now = tonumber(ARGV[5])

local respread = false
if kind:sub(1, 4) == 'ttl:' then kind, respread = kind:sub(5), true end

local R = math.random
local fmt = string.format
local call = redis.call
local concat = table.concat
local floor = math.floor

-- "ttl:<kind>": the keys the batch's commands name (their first argument)
-- are noted, each once, in the order first written, for the expiry pass at
-- the end. Without the prefix `call` is redis.call itself.
local touched, touched_set
if respread then
  touched, touched_set = {}, {}
  local rcall = redis.call
  call = function(cmd, key, ...)
    if not touched_set[key] then
      touched_set[key] = true
      touched[#touched + 1] = key
    end
    return rcall(cmd, key, ...)
  end
end

-- Timestamps inside values count from a fixed day (2025-01-01), so values
-- never depend on the clock; only TTLs do.
local EPOCH = 1735689600000
local MIN = 60000
local HOUR = 3600000

-- A pool of random hex for incompressible values: a substring of it has no
-- internal repetition, so LZF cannot shrink it. Key names never come from the
-- pool (too few distinct substrings); they use fresh random numbers.
local pool
local function make_pool()
  local t = {}
  for i = 1, 4096 do t[i] = fmt('%04x', R(0, 65535)) end
  pool = concat(t)
end
local function rhex(len)
  if not pool then make_pool() end
  local off = R(1, #pool - len + 1)
  return pool:sub(off, off + len - 1)
end
local function h16() return fmt('%04x', R(0, 65535)) end
local function h64() return fmt('%04x%04x%04x%04x', R(0, 65535), R(0, 65535), R(0, 65535), R(0, 65535)) end
local function uuid()
  return fmt('%04x%04x-%04x-4%03x-%04x-%04x%04x%04x', R(0, 65535), R(0, 65535), R(0, 65535),
    R(0, 4095), 32768 + R(0, 16383), R(0, 65535), R(0, 65535), R(0, 65535))
end
local function ms(x) return fmt('%d', x) end
local function ttl(lo, hi) return ms(now + R(lo, hi)) end

-- --profile ttl-heavy: an expiry time 15 minutes to 30 days ahead, in four
-- bands (share of the keys: time after "now"): 4 %: 15 min-1 h, 56 %:
-- 1 h-1 day, 25 %: 1-7 days, 15 %: 7-30 days. Whole seconds plus a random
-- ms (math.random's bounds are C ints: 30 days in ms would overflow them).
local DAY_S = 86400
local function spread_at()
  local b = R(1, 100)
  local lo, hi
  if b <= 4 then
    lo, hi = 900, 3600
  elseif b <= 60 then
    lo, hi = 3600, DAY_S
  elseif b <= 85 then
    lo, hi = DAY_S, 7 * DAY_S
  else
    lo, hi = 7 * DAY_S, 30 * DAY_S
  end
  return ms(now + R(lo, hi - 1) * 1000 + R(0, 999))
end
local function pick(a) return a[R(1, #a)] end
local function ip10(idx)
  return fmt('10.%d.%d.%d', floor(idx / 65536) % 256, floor(idx / 256) % 256, idx % 256)
end

local FIRST = {'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy',
  'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yvonne',
  'zoe', 'liam', 'noah', 'emma', 'mia', 'lucas', 'lena', 'jonas', 'sofia', 'mateo'}
local LAST = {'smith', 'mueller', 'garcia', 'rossi', 'kowalski', 'nguyen', 'tanaka', 'silva',
  'dubois', 'jansen', 'novak', 'johansson', 'ivanova', 'murphy', 'kim', 'singh', 'cohen', 'lopez'}
local COUNTRIES = {'US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'NL', 'SE', 'PL', 'ES', 'IT', 'CA', 'AU', 'MX'}
local CITIES = {'Berlin', 'Paris', 'London', 'Mumbai', 'Sao Paulo', 'Tokyo', 'Amsterdam', 'Stockholm',
  'Warsaw', 'Madrid', 'Rome', 'Toronto', 'Sydney', 'Mexico City', 'New York', 'Austin'}
local PLANS = {'free', 'free', 'free', 'pro', 'pro', 'team', 'enterprise'}
local LOCALES = {'en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'pt-BR', 'ja-JP', 'nl-NL', 'sv-SE', 'pl-PL'}
local TZS = {'Europe/Berlin', 'Europe/Paris', 'Europe/London', 'Asia/Kolkata', 'America/Sao_Paulo',
  'Asia/Tokyo', 'America/New_York', 'America/Chicago', 'Australia/Sydney', 'UTC'}
local REFERRERS = {'google', 'direct', 'twitter', 'newsletter', 'github', 'hn', 'reddit', 'partner'}
local COMPANIES = {'Acme Corp', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries',
  'Wayne Enterprises', 'Soylent', 'Vandelay Industries', 'Cyberdyne'}
local TITLES = {'engineer', 'manager', 'designer', 'analyst', 'student', 'founder', 'sre', 'cto'}
local BIOS = {'Coffee first.', 'Building things on the internet.', 'Cat person. Runner.',
  'Opinions are my own.', 'Learning every day', 'Part-time photographer', ''}
local TAGS = {'sports', 'music', 'tech', 'travel', 'food', 'gaming', 'movies', 'books', 'fashion',
  'fitness', 'finance', 'crypto', 'art', 'science', 'politics', 'news', 'diy', 'pets', 'cars', 'health'}
local ROLES = {'user', 'user', 'user', 'admin', 'staff', 'guest'}
local STATUSES = {'pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'}
local QUEUES = {'default', 'mail', 'reports', 'webhooks', 'thumbnails'}
local ACTIONS = {'login', 'logout', 'update_profile', 'delete_post', 'create_post', 'change_password', 'invite'}

-- JSON-like text that repeats itself: compresses well with LZF.
local function json_page(target)
  local head = fmt('{"title":"Product %d","price":%d.%02d,"currency":"EUR","tags":["sale","new","popular"],"items":[',
    R(1, 99999), R(1, 999), R(0, 99))
  local parts = {head}
  local len = #head
  while len < target do
    local s = fmt('{"sku":"SKU-%05d","qty":%d,"warehouse":"eu-west-1","status":"in_stock"},', R(0, 99999), R(1, 9))
    parts[#parts + 1] = s
    len = len + #s
  end
  parts[#parts + 1] = '{}]}'
  return concat(parts)
end

-- --profile many-prefix: tenant{T}:{collection}:{id}. Words for the segments
-- that are names rather than ids (every word has a letter past `f`, so no
-- slug is taken for a hex id).
local ADJ = {'blue', 'silver', 'golden', 'quiet', 'rapid', 'tiny', 'giant', 'happy', 'brave', 'lucky',
  'misty', 'sunny', 'frozen', 'wild', 'noble', 'royal', 'urban', 'cosmic', 'velvet', 'crimson',
  'amber', 'polar', 'lunar', 'solar', 'rustic', 'modern', 'vintage', 'smart', 'swift', 'proud'}
local NOUN = {'widget', 'gadget', 'lamp', 'chair', 'table', 'backpack', 'bottle', 'jacket', 'sneaker',
  'watch', 'camera', 'speaker', 'monitor', 'keyboard', 'mug', 'notebook', 'pillow', 'blanket', 'helmet',
  'kettle', 'router', 'drone', 'guitar', 'tent', 'scarf', 'wallet', 'charger', 'blender', 'tripod', 'printer'}
local FLAGS = {'new-checkout', 'dark-mode', 'beta-search', 'ai-summary', 'bulk-export', 'sso-login',
  'usage-billing', 'v2-dashboard', 'fast-sync', 'audit-stream', 'geo-routing', 'smart-inbox'}
local ROUTES = {'login', 'search', 'export', 'upload', 'graphql', 'webhook', 'signup', 'password-reset'}
local TEAM_ROLES = {'owner', 'admin', 'editor', 'viewer', 'billing', 'support', 'auditor', 'guest'}
local PERMS = {'read', 'write', 'delete', 'invite', 'billing:read', 'billing:write', 'export', 'admin',
  'tokens:manage', 'audit:read', 'webhooks:manage', 'sso:configure'}
local METRICS = {'page-views', 'signups', 'logins', 'api-calls', 'downloads', 'errors', 'clicks', 'orders'}
local FILE_STEMS = {'report', 'invoice', 'contract', 'avatar', 'logo', 'backup', 'photo', 'slides',
  'notes', 'budget'}
local FILE_EXTS = {'pdf', 'png', 'csv', 'jpg', 'docx', 'zip'}
local DOMAINS = {'example.com', 'acme.io', 'mail.test', 'corp.example'}
local TASK_STATES = {'todo', 'doing', 'review', 'done', 'blocked'}
local WORDS = {'looks', 'good', 'to', 'me', 'please', 'check', 'the', 'latest', 'build', 'thanks',
  'fixed', 'in', 'next', 'release', 'can', 'we', 'ship', 'this', 'today', 'nice', 'work'}

local B36 = '0123456789abcdefghijklmnopqrstuvwxyz'
local function b36(x)
  local t = {}
  repeat
    local d = x % 36
    t[#t + 1] = B36:sub(d + 1, d + 1)
    x = floor(x / 36)
  until x == 0
  return string.reverse(concat(t))
end
-- Ids made unique by the key's global index.
local function num(idx) return ms(idx * 10 + R(0, 9)) end
local function tuuid(idx)
  return fmt('%04x%04x-%04x-4%03x-%04x-%04x%08x', R(0, 65535), R(0, 65535), R(0, 65535),
    R(0, 4095), 32768 + R(0, 16383), R(0, 65535), idx)
end
local function slug(idx) return fmt('%s-%s-%s', pick(ADJ), pick(NOUN), b36(idx)) end
local function day() return fmt('2025-%02d-%02d', R(1, 12), R(1, 28)) end

-- {collection, weight (of 100), writer}; a writer gets the key's prefix
-- ("tenant{T}:{collection}:") and the global index.
local MP_COLLS = {
  {'users', 7, function(p, idx)
    local first = pick(FIRST)
    call('HSET', p .. num(idx), 'name', first .. ' ' .. pick(LAST),
      'email', fmt('%s.%s@%s', first, b36(idx), pick(DOMAINS)), 'role', pick(ROLES),
      'plan', pick(PLANS), 'created_at', ms(EPOCH + R(0, 31536000) * 1000))
  end},
  {'members', 4, function(p, idx)
    call('SET', p .. fmt('%s.%s.%s@%s', pick(FIRST), pick(LAST), b36(idx), pick(DOMAINS)), ms(R(1, 5000000)))
  end},
  {'sessions', 8, function(p, idx)
    local key, v = p .. tuuid(idx), fmt('uid=%d;role=%s;csrf=%s', R(1, 5000000), pick(ROLES), rhex(16))
    if R(1, 10) <= 6 then call('SET', key, v, 'PXAT', ttl(30 * MIN, 24 * HOUR)) else call('SET', key, v) end
  end},
  {'orders', 7, function(p, idx)
    call('SET', p .. num(idx), fmt('{"total":%d.%02d,"items":%d,"status":"%s","currency":"%s"}',
      R(1, 999), R(0, 99), R(1, 12), pick(STATUSES), pick({'EUR', 'USD', 'GBP'})))
  end},
  {'invoices', 4, function(p, idx)
    call('SET', p .. fmt('INV-%d-%07d', 2023 + R(0, 2), idx),
      fmt('{"amount":%d.%02d,"due":"%s","paid":%s}', R(10, 9999), R(0, 99), day(), pick({'true', 'false'})))
  end},
  {'carts', 4, function(p, idx)
    local a = {'HSET', p .. tuuid(idx)}
    for j = 1, R(1, 8) do
      a[#a + 1] = fmt('sku:%05d', R(0, 99999))
      a[#a + 1] = ms(R(1, 5))
    end
    call(unpack(a))
  end},
  {'products', 7, function(p, idx)
    call('SET', p .. slug(idx), fmt('{"name":"%s %s","price":%d.%02d,"stock":%d,"color":"%s"}',
      pick(ADJ), pick(NOUN), R(1, 499), R(0, 99), R(0, 500), pick({'black', 'white', 'red', 'navy', 'olive'})))
  end},
  {'inventory', 4, function(p, idx)
    call('SET', p .. 'SKU-' .. string.upper(b36(idx)), ms(R(0, 2000)))
  end},
  {'audit-log', 6, function(p, idx)
    call('SET', p .. num(idx), fmt('user=%d action=%s ip=10.%d.%d.%d ok=%d', R(1, 5000000), pick(ACTIONS),
      R(0, 255), R(0, 255), R(0, 255), R(0, 1)))
  end},
  {'feature-flags', 3, function(p, idx)
    call('SET', p .. pick(FLAGS) .. ':' .. num(idx), pick({'on', 'off', 'rollout=25', 'rollout=50'}))
  end},
  {'api-keys', 2, function(p, idx)
    call('HSET', p .. fmt('ak_%s_%s%s', pick({'live', 'test'}), h64(), b36(idx)),
      'name', pick(NOUN) .. '-integration', 'scope', pick(PERMS), 'created_at', ms(EPOCH + R(0, 31536000) * 1000),
      'last_used', ms(EPOCH + R(0, 31536000) * 1000))
  end},
  {'webhooks', 2, function(p, idx)
    call('HSET', p .. 'wh_' .. pick(NOUN) .. '-' .. b36(idx), 'url', 'https://hooks.example.com/' .. h64(),
      'secret', 'whsec_' .. h64(), 'events', pick({'order.created', 'invoice.paid', 'user.deleted', '*'}),
      'failures', ms(R(0, 3)))
  end},
  {'notifications', 5, function(p, idx)
    call('SET', p .. num(idx), fmt('{"type":"%s","from":%d,"read":%s}', pick({'like', 'follow', 'comment', 'mention'}),
      R(1, 5000000), pick({'true', 'false'})))
  end},
  {'teams', 3, function(p, idx)
    local a = {'SADD', p .. slug(idx)}
    for j = 1, R(3, 30) do a[#a + 1] = ms(R(1, 5000000)) end
    call(unpack(a))
  end},
  {'roles', 2, function(p, idx)
    local a = {'SADD', p .. pick(TEAM_ROLES) .. '-' .. b36(idx)}
    for j = 1, R(2, 10) do a[#a + 1] = pick(PERMS) end
    call(unpack(a))
  end},
  {'tags', 3, function(p, idx)
    local a = {'SADD', p .. pick(TAGS) .. '-' .. b36(idx)}
    for j = 1, R(2, 20) do a[#a + 1] = ms(R(1, 100000000)) end
    call(unpack(a))
  end},
  {'projects', 4, function(p, idx)
    call('HSET', p .. slug(idx), 'name', pick(ADJ) .. ' ' .. pick(NOUN), 'owner', ms(R(1, 5000000)),
      'status', pick({'active', 'active', 'archived', 'draft'}), 'created_at', ms(EPOCH + R(0, 31536000) * 1000))
  end},
  {'tasks', 4, function(p, idx)
    call('HSET', p .. 'TASK-' .. idx, 'title', fmt('%s the %s %s', pick({'fix', 'ship', 'review', 'design', 'test'}),
      pick(ADJ), pick(NOUN)), 'state', pick(TASK_STATES), 'assignee', ms(R(1, 5000000)), 'due', day())
  end},
  {'comments', 5, function(p, idx)
    local w = {}
    for j = 1, R(4, 30) do w[j] = pick(WORDS) end
    call('SET', p .. tuuid(idx), concat(w, ' '))
  end},
  {'tickets', 3, function(p, idx)
    call('SET', p .. 'TCK-' .. string.upper(b36(idx)), fmt('{"subject":"%s %s broken","priority":%d,"state":"%s"}',
      pick(ADJ), pick(NOUN), R(1, 4), pick({'open', 'pending', 'solved', 'closed'})))
  end},
  {'uploads', 3, function(p, idx)
    call('SET', p .. fmt('%s-%s.%s', pick(FILE_STEMS), b36(idx), pick(FILE_EXTS)),
      fmt('{"size":%d,"sha1":"%s%s","by":%d}', R(1000, 50000000), h64(), h64(), R(1, 5000000)))
  end},
  {'rate-limits', 3, function(p, idx)
    call('SET', p .. pick(ROUTES) .. ':' .. num(idx), ms(R(1, 120)), 'PXAT', ttl(10 * MIN, 2 * HOUR))
  end},
  {'counters', 3, function(p, idx)
    call('SET', p .. pick(METRICS) .. '-' .. b36(idx), ms(R(0, 10000000)))
  end},
  {'reports', 2, function(p, idx)
    call('SET', p .. day() .. ':' .. b36(idx), json_page(R(200, 600)))
  end},
  {'billing', 2, function(p, idx)
    call('HSET', p .. 'cus_' .. h16() .. b36(idx), 'plan', pick(PLANS), 'mrr', ms(R(0, 5000)),
      'currency', pick({'EUR', 'USD', 'GBP'}), 'status', pick({'active', 'trialing', 'past_due', 'canceled'}))
  end},
}
-- Collection by R(1, 100).
local MP_PICK = {}
for c, e in ipairs(MP_COLLS) do
  for _ = 1, e[2] do MP_PICK[#MP_PICK + 1] = c end
end

local created = 0

if kind == 'session' then
  -- session:{uuid}: 70% short embstr tokens, 30% raw JSON; all with a TTL.
  for i = 0, n - 1 do
    local uid = start + i
    local v
    if R(1, 10) <= 7 then
      v = fmt('uid=%d;role=%s;csrf=%s', uid, pick(ROLES), rhex(12))
    else
      v = fmt('{"user_id":%d,"role":"%s","ip":"10.%d.%d.%d","ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","csrf":"%s","flash":[]}',
        uid, pick(ROLES), R(0, 255), R(0, 255), R(0, 255), rhex(32))
    end
    call('SET', 'session:' .. uuid(), v, 'PXAT', ttl(10 * MIN, 24 * HOUR))
  end
  created = n

elseif kind == 'counter' then
  -- integer strings, no TTL: small (shared / INT8..32) and beyond 32 bits.
  for i = 0, n - 1 do
    local id = start + i
    local r = R(1, 10)
    if r <= 4 then
      call('SET', fmt('user:%d:visits', id), ms(R(0, 5000)))
    elseif r <= 7 then
      call('SET', fmt('article:%d:likes', id), ms(R(0, 2000000)))
    elseif r <= 9 then
      call('SET', fmt('stats:pageviews:%d', id), ms(R(1, 2000000000) * 1000 + R(0, 999)))
    else
      call('SET', fmt('balance:%d', id), ms(R(-500000, 500000)))
    end
  end
  created = n

elseif kind == 'cache' then
  -- cache:page:{hex}: raw 100-500 byte values, half incompressible, half
  -- repetitive JSON (LZF-compressed in the dump); 60% with a TTL.
  for i = 0, n - 1 do
    local len = R(100, 500)
    local v
    if R(1, 2) == 1 then v = rhex(len) else v = json_page(len) end
    local key = 'cache:page:' .. h64()
    if R(1, 10) <= 6 then
      call('SET', key, v, 'PXAT', ttl(10 * MIN, 6 * HOUR))
    else
      call('SET', key, v)
    end
  end
  created = n

elseif kind == 'rate' then
  -- rate:{ip}: small int counters with TTLs spread over hours.
  for i = 0, n - 1 do
    call('SET', 'rate:' .. ip10(start + i), ms(R(1, 120)), 'PXAT', ttl(10 * MIN, 3 * HOUR))
  end
  created = n

elseif kind == 'rate_cluster' then
  -- rate:{ip} keys that all expire within the same second (ARGV[6], Unix s).
  local sec = tonumber(ARGV[6])
  for i = 0, n - 1 do
    local idx = start + i
    call('SET', fmt('rate:100.64.%d.%d', floor(idx / 256) % 256, idx % 256), ms(R(1, 60)),
      'PXAT', ms(sec * 1000 + R(0, 999)))
  end
  created = n

elseif kind == 'profile' then
  -- user:{id}:profile: listpack hashes with 5-20 short fields.
  for i = 0, n - 1 do
    local uid = start + i
    local first = pick(FIRST)
    local nf = R(5, 20)
    local a = {'HSET', fmt('user:%d:profile', uid),
      'name', first .. ' ' .. pick(LAST),
      'email', fmt('%s.%d@example.com', first, uid),
      'country', pick(COUNTRIES),
      'plan', pick(PLANS),
      'created_at', ms(1600000000 + R(0, 130000000))}
    local extra = {
      {'last_login', ms(EPOCH + R(0, 2592000) * 1000)},
      {'age', ms(R(18, 80))},
      {'city', pick(CITIES)},
      {'locale', pick(LOCALES)},
      {'timezone', pick(TZS)},
      {'avatar', 'https://cdn.example.com/a/' .. h64() .. '.png'},
      {'referrer', pick(REFERRERS)},
      {'theme', pick({'dark', 'light', 'system'})},
      {'newsletter', pick({'0', '1'})},
      {'phone', fmt('+%d %03d %07d', R(1, 99), R(100, 999), R(0, 9999999))},
      {'company', pick(COMPANIES)},
      {'title', pick(TITLES)},
      {'score', fmt('%.2f', R() * 1000)},
      {'verified', pick({'true', 'false'})},
      {'bio', pick(BIOS)},
    }
    for f = 1, nf - 5 do
      a[#a + 1] = extra[f][1]
      a[#a + 1] = extra[f][2]
    end
    call(unpack(a))
  end
  created = n

elseif kind == 'cart' then
  -- cart:{id}: small listpack hashes sku -> qty, half with a TTL.
  for i = 0, n - 1 do
    local key = fmt('cart:%d', start + i)
    local a = {'HSET', key}
    for j = 1, R(1, 10) do
      a[#a + 1] = fmt('sku:%05d', R(0, 99999))
      a[#a + 1] = ms(R(1, 5))
    end
    call(unpack(a))
    if R(1, 2) == 1 then call('PEXPIREAT', key, ttl(HOUR, 48 * HOUR)) end
  end
  created = n

elseif kind == 'small' then
  -- per user: intset, small hashtable set, listpack zset, small lists.
  for i = 0, n - 1 do
    local uid = start + i
    local a = {'SADD', fmt('user:%d:following', uid)}
    for j = 1, R(5, 60) do a[#a + 1] = ms(R(1, 5000000)) end
    call(unpack(a))
    created = created + 1
    a = {'RPUSH', fmt('feed:%d', uid)}
    for j = 1, R(10, 60) do a[#a + 1] = fmt('post:%d', R(1, 100000000)) end
    call(unpack(a))
    created = created + 1
    if R(1, 2) == 1 then
      a = {'SADD', fmt('user:%d:tags', uid)}
      for j = 1, R(3, 12) do a[#a + 1] = pick(TAGS) end
      call(unpack(a))
      created = created + 1
    end
    if R(1, 2) == 1 then
      a = {'ZADD', fmt('user:%d:scores', uid)}
      for j = 1, R(5, 30) do
        a[#a + 1] = ms(R(0, 100000))
        a[#a + 1] = fmt('game:%d', R(1, 5000))
      end
      call(unpack(a))
      created = created + 1
    end
    if R(1, 10) <= 3 then
      a = {'LPUSH', fmt('notifications:%d', uid)}
      for j = 1, R(1, 10) do
        a[#a + 1] = fmt('{"type":"%s","from":%d,"read":false}', pick({'like', 'follow', 'comment', 'mention'}), R(1, 5000000))
      end
      call(unpack(a))
      created = created + 1
    end
  end

elseif kind == 'medium' then
  -- collections just past the listpack/intset thresholds, and big strings.
  for i = 0, n - 1 do
    local id = start + i
    local r = i % 10
    local a
    if r == 0 then
      a = {'HSET', fmt('product:%d:reviews', id)}
      for j = 1, R(150, 300) do
        a[#a + 1] = fmt('review:%d', R(1, 10000000))
        a[#a + 1] = fmt('{"stars":%d,"user":%d,"helpful":%d}', R(1, 5), R(1, 5000000), R(0, 500))
      end
    elseif r == 1 then
      a = {'HSET', fmt('user:%d:settings', id), 'theme', 'dark', 'lang', pick(LOCALES),
        'signature', json_page(R(100, 300)), 'notify_email', '1', 'notify_push', '0'}
    elseif r == 2 then
      a = {'SADD', fmt('tag:%s:%d:posts', pick(TAGS), id)}
      for j = 1, R(600, 2000) do a[#a + 1] = ms(R(1, 100000000)) end
    elseif r == 3 then
      a = {'SADD', fmt('segment:%d:members', id)}
      for j = 1, R(200, 500) do a[#a + 1] = ms(R(1, 5000000)) end
    elseif r == 4 then
      a = {'ZADD', fmt('leaderboard:game:%d', id)}
      for j = 1, R(200, 1000) do
        a[#a + 1] = fmt('%.3f', R() * 100000)
        a[#a + 1] = fmt('player:%d', R(1, 5000000))
      end
    elseif r == 5 then
      a = {'ZADD', fmt('leaderboard:daily:%d', id)}
      for j = 1, R(20, 60) do
        a[#a + 1] = ms(R(0, 100000))
        a[#a + 1] = fmt('player:%d:%s', R(1, 5000000), rhex(70))
      end
    elseif r == 6 then
      a = {'RPUSH', fmt('queue:%s:%d', pick(QUEUES), id)}
      for j = 1, R(1000, 5000) do
        a[#a + 1] = fmt('{"job":%d,"attempt":%d}', R(1, 100000000), R(0, 3))
      end
    elseif r == 7 then
      a = {'SET', fmt('blob:%d', id), rhex(R(4000, 8000)) .. rhex(R(1000, 8000))}
    elseif r == 8 then
      a = {'SET', fmt('report:%d:html', id), json_page(R(5000, 30000))}
    else
      a = {'SADD', fmt('user:%d:badges', id)}
      for j = 1, R(150, 400) do a[#a + 1] = fmt('badge-%d', R(1, 100000)) end
    end
    -- RPUSH/SADD with thousands of args: stay below Lua's C stack limit
    if #a > 4000 then
      local cmd, key = a[1], a[2]
      local j = 3
      while j <= #a do
        local chunk = {cmd, key}
        local last = math.min(#a, j + 1999)
        for k = j, last do chunk[#chunk + 1] = a[k] end
        call(unpack(chunk))
        j = last + 1
      end
    else
      call(unpack(a))
    end
  end
  created = n

elseif kind == 'nodelim' then
  -- key names without a delimiter.
  for i = 0, n - 1 do
    local id = start + i
    local r = R(1, 3)
    if r == 1 then
      call('SET', 'tmp' .. h16() .. h16(), rhex(R(20, 40)), 'PXAT', ttl(10 * MIN, 2 * HOUR))
    elseif r == 2 then
      call('SET', fmt('visitor%d', id), ms(R(1, 100000)))
    else
      call('SET', fmt('featureflag%d', id), pick({'on', 'off', 'rollout=25', 'rollout=50'}))
    end
  end
  created = n

elseif kind == 'hll' then
  -- HyperLogLogs (strings): sparse and dense.
  for i = 0, n - 1 do
    local id = start + i
    local key = fmt('uniques:day:%d', id)
    local total = R(50, 20000)
    local j = 0
    while j < total do
      local a = {'PFADD', key}
      for k = 1, math.min(1000, total - j) do a[#a + 1] = fmt('10.%d.%d.%d', R(0, 255), R(0, 255), R(0, 255)) end
      j = j + 1000
      call(unpack(a))
    end
  end
  created = n

elseif kind == 'jobs' then
  -- db 1: a job queue: listpack hashes, locks and results with TTLs, a list.
  local qa = {'RPUSH', fmt('queue:jobs:%d', start)}
  for i = 0, n - 1 do
    local id = start + i
    call('HSET', fmt('job:%d', id), 'status', pick({'queued', 'running', 'done', 'failed'}),
      'queue', pick(QUEUES), 'attempts', ms(R(0, 5)), 'created_at', ms(EPOCH + R(0, 86400000)),
      'payload', fmt('{"user_id":%d,"template":"welcome","locale":"%s"}', R(1, 5000000), pick(LOCALES)))
    created = created + 1
    local r = R(1, 10)
    if r <= 3 then
      call('SET', fmt('lock:job:%d', id), fmt('worker-%d', R(1, 64)), 'PXAT', ttl(10 * MIN, 2 * HOUR))
      created = created + 1
    elseif r <= 6 then
      call('SET', fmt('result:%d', id), json_page(R(100, 300)), 'PXAT', ttl(HOUR, 12 * HOUR))
      created = created + 1
    end
    qa[#qa + 1] = ms(id)
    if #qa >= 2002 then call(unpack(qa)); qa = {'RPUSH', fmt('queue:jobs:%d', start)} end
  end
  if #qa > 2 then call(unpack(qa)) end
  created = created + 1

elseif kind == 'big' then
  -- one huge collection, appended to in chunks: ARGV[6] type, ARGV[7] key.
  local typ, key = ARGV[6], ARGV[7]
  local i = 0
  while i < n do
    local m = math.min(1000, n - i)
    local a
    if typ == 'zset' then
      a = {'ZADD', key}
      for k = 0, m - 1 do
        a[#a + 1] = fmt('%.2f', R() * 1000000)
        a[#a + 1] = fmt('player:%d', start + i + k)
      end
    elseif typ == 'list' then
      a = {'RPUSH', key}
      for k = 0, m - 1 do
        a[#a + 1] = fmt('{"e":"click","u":%d,"p":"/item/%d","t":%d}', R(1, 5000000), R(1, 200000), EPOCH + R(0, 86400000))
      end
    elseif typ == 'set_str' then
      a = {'SADD', key}
      for k = 0, m - 1 do a[#a + 1] = fmt('user:%d', start + i + k) end
    elseif typ == 'set_int' then
      a = {'SADD', key}
      for k = 0, m - 1 do a[#a + 1] = ms((start + i + k) * 7 + R(0, 6)) end
    elseif typ == 'hash' then
      a = {'HSET', key}
      for k = 0, m - 1 do
        local id = start + i + k
        a[#a + 1] = fmt('%s.%s.%d@example.com', pick(FIRST), pick(LAST), id)
        a[#a + 1] = ms(id)
      end
    else
      return redis.error_reply('unknown big type ' .. typ)
    end
    call(unpack(a))
    i = i + m
  end
  created = n

elseif kind == 'stream' then
  -- ARGV[6] key, ARGV[7] flavour, ARGV[8] first ID's ms part. Explicit IDs.
  local key, flavour, t = ARGV[6], ARGV[7], tonumber(ARGV[8])
  for i = 0, n - 1 do
    t = t + R(1, 2000)
    local id = fmt('%d-%d', t, i % 3)
    if flavour == 'orders' then
      call('XADD', key, id, 'order_id', ms(start + i), 'user_id', ms(R(1, 5000000)),
        'amount', fmt('%d.%02d', R(1, 999), R(0, 99)), 'currency', pick({'EUR', 'USD', 'GBP'}),
        'status', pick(STATUSES))
    elseif flavour == 'signups' then
      local first = pick(FIRST)
      call('XADD', key, id, 'user_id', ms(start + i), 'email', fmt('%s.%d@example.com', first, start + i),
        'plan', pick(PLANS), 'source', pick(REFERRERS))
    else
      call('XADD', key, id, 'actor', fmt('user:%d', R(1, 5000000)), 'action', pick(ACTIONS),
        'ip', fmt('10.%d.%d.%d', R(0, 255), R(0, 255), R(0, 255)), 'ok', pick({'1', '1', '1', '0'}))
      if i % 50 == 49 then call('XDEL', key, id) end
    end
  end
  created = n

elseif kind == 'stream_group' then
  -- ARGV[6] key, ARGV[7] group, ARGV[8] consumers, ARGV[9] entries read by
  -- each, ARGV[10] ack all but every k-th entry (0: ack all, leaving the
-- group with an empty PEL but a last-delivered ID).
  local key, group = ARGV[6], ARGV[7]
  local consumers, per, ackmod = tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10])
  call('XGROUP', 'CREATE', key, group, '0')
  local pending = 0
  for c = 1, consumers do
    local res = call('XREADGROUP', 'GROUP', group, fmt('worker-%d', c), 'COUNT', per, 'STREAMS', key, '>')
    if res then
      for j, e in ipairs(res[1][2]) do
        if ackmod == 0 or j % ackmod ~= 0 then call('XACK', key, group, e[1]) else pending = pending + 1 end
      end
    end
  end
  created = pending

elseif kind == 'census' then
  -- ARGV[3] SCAN cursor, ARGV[4] keys to look at in this call.
  -- Returns {cursor, "type/encoding", count, ...}.
  local cursor = ARGV[3]
  local counts = {}
  local done = 0
  repeat
    local res = call('SCAN', cursor, 'COUNT', 1000)
    cursor = res[1]
    for _, k in ipairs(res[2]) do
      local ck = call('TYPE', k).ok .. '/' .. call('OBJECT', 'ENCODING', k)
      counts[ck] = (counts[ck] or 0) + 1
      done = done + 1
    end
  until cursor == '0' or done >= n
  local out = {cursor}
  for k, v in pairs(counts) do
    out[#out + 1] = k
    out[#out + 1] = v
  end
  return out

elseif kind == 'quota_cluster' then
  -- --profile ttl-heavy: quota:api:{id} counters that all expire at the same
  -- millisecond, ARGV[6] (Unix ms; a top of the hour, like a quota reset).
  local at = ARGV[6]
  for i = 0, n - 1 do
    call('SET', fmt('quota:api:%d', start + i), ms(R(0, 10000)), 'PXAT', at)
  end
  created = n

elseif kind == 'minute_cluster' then
  -- --profile ttl-heavy: ARGV[7]:{uuid} tokens that all expire within the
  -- minute starting at ARGV[6] (Unix ms), spread evenly over its 60 seconds,
  -- so that no single second of it stands out.
  local at, prefix = tonumber(ARGV[6]), ARGV[7]
  for i = 0, n - 1 do
    call('SET', prefix .. ':' .. uuid(), fmt('{"user_id":%d,"scope":"%s","n":%d}', R(1, 5000000),
      pick(ROLES), start + i), 'PXAT', ms(at + (i % 60) * 1000 + R(0, 999)))
  end
  created = n

elseif kind == 'tenants' then
  -- --profile many-prefix: tenant{T}:{collection}:{id}[:{more}], ARGV[6]
  -- tenants. Keys are unique by their global index (in every id), so
  -- --keys is the exact key count. Tenants are skewed (T = tenants * u^2:
  -- tenant1 has ~0.7 % of the keys at 20,000 tenants, the last ones ~0.0025 %).
  local tenants = tonumber(ARGV[6])
  for i = 0, n - 1 do
    local idx = start + i
    local t = floor(tenants * R() ^ 2) + 1
    local c = MP_PICK[R(1, #MP_PICK)]
    MP_COLLS[c][3](fmt('tenant%d:%s:', t, MP_COLLS[c][1]), idx)
  end
  created = n

else
  return redis.error_reply('unknown kind ' .. tostring(kind))
end

if respread then
  -- ~95 % of the keys written get an expiry time from spread_at (replacing
  -- any the kind gave them), the others none.
  local rcall = redis.call
  for _, key in ipairs(touched) do
    if R(1, 100) <= 5 then
      rcall('PERSIST', key)
    else
      rcall('PEXPIREAT', key, spread_at())
    end
  end
end

return created
