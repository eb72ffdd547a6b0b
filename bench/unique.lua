-- wrk script: every request is a valid conversion with its own
-- outer_event_id. Pass a prefix of the run's own after "--" (wrk ... --
-- PREFIX), or a second run against the same server repeats the first
-- run's ids, which it answers as duplicates.
local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
function init(args) prefix = args[1] or "" end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("GET", "/track/activate/?callback=cb&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2&outer_event_id=" .. prefix .. tid .. "-" .. counter)
end
