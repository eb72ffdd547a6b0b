-- wrk script: every request is a valid conversion with its own outer_event_id.
local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("GET", "/track/activate/?callback=cb&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2&outer_event_id=" .. tid .. "-" .. counter)
end
