-- wrk script of scripts/tier-bench.sh: the demo page's "visit" action
-- (session start + one write) with sessions that exist, as a farm sees them.
-- Each wrk thread keeps a pool of up to POOL session cookies: while the pool
-- fills, requests go without a cookie and each answer's Set-Cookie adds one;
-- then every request sends a cookie drawn at random from the pool, so the
-- handler locks, reads and writes an existing session and parallel requests
-- of one session are rare. Non-200 answers are counted by wrk (non-2xx) and
-- by this script (done() prints "tier: bad=N <status and body of the first>").
local POOL = 200
local pool = {}
bad = 0
first_bad = ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local headers = {}
  if #pool >= POOL then
    headers["Cookie"] = "PHPSESSID=" .. pool[math.random(#pool)]
  end
  return wrk.format("GET", "/app.php?action=visit", headers)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"visits":', 1, true) then
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(string.gsub(body, "%s+", " "), 1, 300)
    end
  end
  local c = headers["Set-Cookie"]
  if c and #pool < POOL then
    local sid = string.match(c, "PHPSESSID=([%w,-]+)")
    if sid then table.insert(pool, sid) end
  end
end

function done(summary, latency, requests)
  local total, sample = 0, ""
  for _, t in ipairs(threads) do
    total = total + (t:get("bad") or 0)
    if sample == "" then sample = t:get("first_bad") or "" end
  end
  io.write(string.format("tier: bad=%d %s\n", total, sample))
end
