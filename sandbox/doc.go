// Package sandbox composes both emulators into the one HTTP server that
// `postbacksim serve` runs, so a program or a test binary can embed the
// whole sandbox: the Ocean Engine emulator (mockocean) and the impact.com
// dispatcher with its admin API (mockimpact), per namespace, with health
// endpoints, Prometheus metrics, request logging and an optional admin
// token.
//
// A Sandbox is an http.Handler:
//
//	sb := sandbox.New(sandbox.Config{})
//	defer sb.Close()
//	http.ListenAndServe("127.0.0.1:8080", sb)
//
// Plain paths serve the default namespace; /ns/NAME/… serves the
// namespace NAME, created on first use, with its own journals, duplicate
// filter, fault rules, postback configurations and callback key.
//
// In a Go test, sandboxtest.NewServer starts one on a loopback port.
package sandbox
