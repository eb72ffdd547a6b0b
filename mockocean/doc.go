// Package mockocean emulates Ocean Engine's (巨量引擎) conversion callback
// API, /track/activate/, as described in Ocean Engine's document
// "转化事件回调服务" (conversion event callback service), for tests and
// sandboxes. It also plays the platform's click side: it sends clicks to an
// advertiser's monitoring URL with callbacks it can later verify, and
// attributes conversions to them (clicks, impressions and valid plays:
// match_type 0, 1 and 2).
//
// The contract in the project's own words, and every decision taken where
// the document is silent, is in docs/platforms.md of the repository.
//
// # The server
//
// New returns a Server, an http.Handler serving /track/activate/ (and
// /track/activate) and the admin endpoints under AdminPrefix:
//
//	srv := mockocean.New(mockocean.Config{Strict: true})
//	http.ListenAndServe("127.0.0.1:8080", srv)
//
// The zero Config is the default mode with the defaults named on each
// field. In Go tests, package oceantest starts a Server on a loopback port
// and closes it when the test ends:
//
//	srv := oceantest.NewServer(t)                  // or NewTLSServer(t)
//	uploader := NewUploader(srv.ActivateURL)       // the code under test
//	...
//	_ = srv.WaitForRequests(t.Context(), 1)
//	convs := srv.Conversions()
//
// # A request's path
//
// A request flows one way: ReadRaw and Raw.Decode (GET query, form,
// multipart or JSON body → one Input) → fault rules → Validate (a pure
// function driven by the Catalog table, in check order) → the duplicate
// filter on outer_event_id → the journal → the answer. One request gets
// one answer, HTTP 200 with {"code":N,"ret":N,"msg":"..."}; the first
// failing check answers. Only a request that passes every other check uses
// up its outer_event_id, and a request answered by an injected fault never
// does.
//
// Default mode accepts what real clients send (an absent event_type read
// as 0, os=ios, conv_time in milliseconds, a link-only web conversion, a
// POST's query string, text that is not UTF-8, outer_event_id and other
// documented parameters inside an ext object), recording each leniency as
// a warning. Config.Strict
// (Mode.Strict) applies the documented rules only. Config.StrictAttribution
// answers CodeCallbackInvalid to callbacks the Verifier does not know.
//
// # The journal
//
// Every request, accepted or not, is journaled before it is answered, as a
// Request: parameters as received, HTTP status, code, msg, a Detail saying
// precisely what was wrong, Warnings, Notes, the Fault that answered, the
// parsed Conversion and its Attribution. Read it with Server.Requests,
// Server.Conversions, Server.FilterRequests and Server.WaitForRequests
// (which blocks instead of polling); compare journals with go-cmp and
// oceantest.IgnoreVolatile. Config.JournalCapacity and
// Config.JournalMaxBytes bound it; Server.JournalStats counts what it holds
// and evicted.
//
// # Faults
//
// Server.InjectFault adds a Fault rule: requests matching its parameter
// values get an HTTP status, a dropped connection, a malformed body or a
// chosen code/msg instead of the normal answer, optionally after a delay,
// for Times requests or with a seeded Probability. The first matching rule
// answers.
//
//	srv.InjectFault(ctx, mockocean.Fault{Status: 503, Times: 2})
//
// # State
//
// The duplicate filter, the journal and the fault rules are a State,
// opened from Config.Store: in the process's memory by default
// (MemoryStore), or shared by replicas (package redisstore). The
// methods that read or change them take a context.Context and return
// the store's error (wrapping store.ErrUnavailable when it cannot be
// reached); the endpoints then answer HTTP 503 and do nothing. The test
// helpers in oceantest fail the test instead.
//
// # Clicks, callbacks and attribution
//
// Server.SendClicks sends generated clicks (package fixtures) to a
// monitoring URL whose macros (MonitorMacros) are filled for each click.
// Each click carries a callback issued by the server's Issuer: URL-safe
// base64 of a protobuf record, like Ocean Engine's own, signed with an
// HMAC keyed by Config.CallbackKey. A conversion that sends it back is
// attributed to its click without a lookup (Request.Attribution).
//
// # Tables
//
// The rules are data, and the same tables drive validation, the admin
// catalog endpoint, the command line and the documentation: Catalog (codes,
// messages and check order), EventTypes (the event_type enum), Params (the
// documented parameters) and MonitorMacros. The runnable examples show a
// test server answering and journaling a conversion, and InjectFault.
package mockocean
