-- wrk script: every request is a valid conversion POSTed to
-- /api/v2/conversion with the body the public SDKs send, with its own
-- outer_event_id. Pass a prefix of the run's own after "--" (wrk ... --
-- PREFIX).
local counter, tid = 0, 0
function setup(thread) tid = tid + 1; thread:set("tid", tid) end
function init(args) prefix = args[1] or "" end
function request()
  counter = counter + 1
  local body = '{"event_type":"active_pay","context":{"ad":{"callback":"cb","attributed":false},"device":{"imei":"0c2bd03c39f19845bf54ea0abafae70e"}},' ..
    '"properties":{"pay_amount":600},"timestamp":1764988800123,"outer_event_id":"' .. prefix .. tid .. "-" .. counter .. '"}'
  return wrk.format("POST", "/api/v2/conversion", {["Content-Type"] = "application/json"}, body)
end
