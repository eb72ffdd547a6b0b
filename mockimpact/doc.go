// Package mockimpact emulates impact.com's event-notification postbacks:
// the webhooks the platform sends to a brand's server when an event
// happens, as described in impact.com's help article "为品牌启用事件通知回传"
// (Enable event notification postbacks for brands).
//
// The contract in the project's own words, and every decision taken where
// the document is silent, is in docs/platforms.md of the repository.
//
// # Configurations and requests
//
// A Postback is one event's configuration as a brand fills it in: URL,
// method, headers and body format, with macros (package macro), plus the
// minimum delay, the maximum requests per second, the success and error
// responses (Matcher) and a per-attempt timeout. Compile checks it once and
// binds its templates to the event's payload type; Compiled.Render turns an
// event (package fixtures) into the exact request impact would send:
//
//	c, err := mockimpact.Compile(mockimpact.Postback{
//		Event: "action_lifecycle", Method: "GET", Format: "none",
//		URL:   "https://brand.example/pb?aid={ActionId}",
//	})
//	r, err := c.Render(event) // r.Method, r.URL, r.Header, r.Body
//
// A URL that does not parse, is not http(s), has no host or has a port
// outside 1–65535 is an InvalidURLError: impact does not send it and does
// not retry.
//
// # The dispatcher
//
// A Dispatcher delivers events as impact.com does: Fire renders the request
// once; each attempt is sent, classified (Outcomes, first match wins) and
// journaled, and the next one is scheduled from RetrySchedule, counted from
// when the outcome is known, up to MaxAttempts in all. The minimum delay
// applies before the first attempt; MaxRPS can delay an attempt, never
// advance it. Deliveries returns the journal: every attempt's scheduled and
// actual time, offset, answer or error, outcome and next attempt.
//
// Time, DNS and the transport are injected through Options. On a
// clock.Virtual the dispatcher is a discrete-event simulation that jumps
// from timer to timer, so the 30h51m45s schedule runs in microseconds and
// gives the same journal every run. A Script is an in-memory receiver that
// answers attempt N with step N (a status, body, headers, delay, or one of
// the Faults: timeout, reset, refused, dns, slow_body), costing virtual time
// only; Script.ForDelivery scripts one delivery apart. Live, at most
// Options.MaxInFlight attempts are in progress at once.
//
// # State
//
// A dispatcher keeps its postback configurations in a ConfigStore and its
// deliveries, with their pending attempts, in a DeliveryStore
// (Options.Configs, Options.Deliveries): MemoryConfigs and
// MemoryDeliveries by default, or the Redis ones of package redisstore,
// shared by the replicas of a sandbox. It has one code path for both: a
// timer on its clock, at the earliest attempt due, claims the due
// attempts from the store and sends them. Every error of a store wraps
// store.ErrUnavailable; the methods that read or change state take a
// context and return it.
//
// # In Go tests
//
// Package impacttest wraps all this for tests:
//
//	td := impacttest.NewDispatcher(t, mockimpact.Postback{
//		Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}", Method: "GET",
//		Success: mockimpact.Matcher{Text: "OK"},
//	}, impacttest.WithScript(mockimpact.Step{Status: 500}, mockimpact.Step{Fault: "timeout"}, mockimpact.Step{Body: "OK"}))
//	td.FireGenerated("action_lifecycle", 1)
//	td.RunUntilIdle()     // a minute of virtual time, instantly
//	d := td.Only()        // d.Outcome == "delivered"; d.Offsets() == [0s 15s 1m0s]
//
// Compare live journals with go-cmp and impacttest.IgnoreTimes. The
// runnable examples show the schedule against a failing-then-recovering
// receiver, and Script.ForDelivery.
//
// # Over HTTP
//
// NewAdmin serves a dispatcher's admin API under AdminPrefix: store
// configurations (PUT /_admin/impact/postbacks/{event}), fire events
// (POST /_admin/impact/events/{event}?seed=N&status=S, a JSON body
// overriding fields of the generated event) and read deliveries
// (GET /_admin/impact/deliveries). The sandbox serves it per namespace.
// With WithJobs, the links of job_completed events point at the server
// (PublicBase), and Jobs serves the job, its CSV result and the download
// links, which expire on the injected clock.
//
// # Application updates
//
// A PENDING publisher_application delivered with empty data points is
// followed, Options.UpdateDelay later, by an update delivery with those
// fields filled (Delivery.UpdateOf names the first delivery), as the
// document describes.
//
// # Tables
//
// RetrySchedule (the delay before each of the 15 retries), Outcomes (the
// classification of one attempt, with whether it is retried and whether
// the document states it) and Faults (the scripted receiver's faults) are
// the only copies of these rules; the documentation is generated from them.
package mockimpact
