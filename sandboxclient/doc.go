// Package sandboxclient is a typed Go client for the HTTP API of a
// running postbacksim sandbox (postbacksim serve, the Docker image, or
// sandbox.New behind httptest): its namespaces, the Ocean Engine
// emulator's journal, faults, duplicate filter, report and catalog, the
// impact.com dispatcher's postbacks, events and deliveries, health, and
// the live event stream (/_admin/stream). docs/sandbox.md is the contract
// it speaks; docs/client.md shows it at work.
//
// Every method takes a context first; the answers are the server
// packages' own types (mockocean.Request, mockimpact.Delivery,
// sandbox.NamespaceInfo, …). An answer other than 2xx is an *Error with
// the status and the server's message:
//
//	func TestUploaderAgainstTheSandbox(t *testing.T) {
//		ctx := t.Context()
//		c, err := sandboxclient.New(os.Getenv("SANDBOX_URL"),
//			sandboxclient.WithToken(os.Getenv("SANDBOX_TOKEN")),
//			sandboxclient.WithNamespace("team-a"))
//		if err != nil {
//			t.Fatal(err)
//		}
//		if err := c.ClearOceanRequests(ctx); err != nil {
//			t.Fatal(err)
//		}
//		runUploader(t, os.Getenv("SANDBOX_URL")+"/ns/team-a/track/activate/")
//		j, err := c.OceanRequests(ctx, sandboxclient.OceanFilter{Code: new(0)})
//		if err != nil {
//			t.Fatal(err)
//		}
//		if j.Count != 1 {
//			t.Fatalf("%d conversions accepted, want 1", j.Count)
//		}
//	}
//
// The client holds no state but its settings: it is safe for concurrent
// use, and Namespace returns a copy bound to another namespace.
package sandboxclient
