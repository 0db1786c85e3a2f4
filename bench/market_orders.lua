-- wrk script for bench/market: a realistic order mix against the market's
-- REST API. 80% limit orders from households A-D around a mid price of 500
-- (30% of them crossing the spread by 1-8, a quarter of those ioc; the rest
-- resting 1-60 behind), 20% cancels of this thread's recent orders.
-- Every 201/200 is a durable order or cancel. 409 on a cancel (the order was
-- filled meanwhile) is expected and counted apart; anything else is an error.
local token = os.getenv("MARKET_TOKEN")
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
local houses = {"A", "B", "C", "D"}
local recent = {}
local seed_done = false
local pending_cancel = false

request = function()
  if not seed_done then
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
    seed_done = true
  end
  local headers = {["Content-Type"] = "application/json"}
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  if #recent > 0 and math.random() < 0.2 then
    local i = math.random(#recent)
    local id = recent[i]
    recent[i] = recent[#recent]
    recent[#recent] = nil
    pending_cancel = true
    return wrk.format("DELETE", "/api/market/orders/" .. id, headers, nil)
  end
  pending_cancel = false
  local buy = math.random() < 0.5
  local price
  if math.random() < 0.3 then
    price = buy and (500 + math.random(1, 8)) or (500 - math.random(1, 8))
  else
    price = buy and (500 - math.random(1, 60)) or (500 + math.random(1, 60))
  end
  local tif = (math.random() < 0.075) and ',"tif":"ioc"' or ""
  local body = string.format('{"side":"%s","energy_wh":%d,"price":%d,"household":"%s"%s}',
    buy and "buy" or "sell", math.random(1, 1000), price, houses[math.random(4)], tif)
  return wrk.format("POST", "/api/market/orders", headers, body)
end

orders, cancels, gone, bad = 0, 0, 0, 0  -- globals: done() reads them per thread
response = function(status, headers, body)
  if status == 201 then
    orders = orders + 1
    local id = string.match(body, '"order":{"id":(%d+)')
    if id and string.find(body, '"status":"open"', 1, true) then
      recent[#recent + 1] = id
      if #recent > 200 then table.remove(recent, 1) end
    end
  elseif status == 200 then
    cancels = cancels + 1
  elseif status == 409 then
    gone = gone + 1
  else
    bad = bad + 1
    if bad <= 3 then io.write("unexpected " .. status .. ": " .. body .. "\n") end
  end
end

done = function(summary, latency, requests)
  local o, c, g, b = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("orders"); c = c + t:get("cancels"); g = g + t:get("gone"); b = b + t:get("bad")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("orders placed (201): %d = %.0f orders/s; cancels (200): %d; cancel of a closed order (409): %d; other answers: %d\n",
    o, o / secs, c, g, b))
  io.write(string.format("non-2xx answers: %d (socket errors: connect %d, read %d, write %d, timeout %d)\n",
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%s latency: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
