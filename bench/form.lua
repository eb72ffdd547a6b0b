-- wrk script: every request is a valid conversion POSTed to
-- /track/activate/ as a form body, with its own outer_event_id. Pass a
-- prefix of the run's own after "--" (wrk ... -- PREFIX).
local counter, tid = 0, 0
function setup(thread) tid = tid + 1; thread:set("tid", tid) end
function init(args) prefix = args[1] or "" end
function request()
  counter = counter + 1
  local body = "callback=cb&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2&outer_event_id=" .. prefix .. tid .. "-" .. counter
  return wrk.format("POST", "/track/activate/", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
