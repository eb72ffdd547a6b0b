// Package mockimpact emulates impact.com's event-notification postbacks:
// the webhooks the platform sends to a brand's server (SPEC.md §A).
//
// A Postback is one event's configuration as a brand fills it in: URL,
// method, headers and body, with macros (package macro). Compile checks it
// once; Render turns an event payload (package fixtures) into the exact
// request impact would send.
package mockimpact
