// Package mockocean emulates Ocean Engine's (巨量引擎) conversion callback
// API, /track/activate/, for tests and sandboxes.
//
// A request flows one way: decode (GET query, form or JSON body → one
// parameter set) → fault rules → Validate (a pure function driven by the
// Catalog table) → duplicate filter → journal → answer. Every request, good
// or bad, lands in the journal, which tests read through Requests,
// Conversions and WaitForRequests, and the sandbox serves over
// /_admin/ocean/requests.
//
// In a Go test:
//
//	srv := mockocean.NewTestServer(t)
//	resp, _ := http.Get(srv.URL + "/track/activate/?callback=abc&imei=0c2b…&event_type=0")
//	convs := srv.Conversions()
package mockocean
