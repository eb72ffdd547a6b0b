// Package oceantest provides test helpers for code that uploads
// conversions to Ocean Engine: a mockocean.Server on a loopback port,
// stopped when the test ends, and go-cmp options for comparing journals.
// It is to mockocean what net/http/httptest is to net/http, and keeps
// the testing machinery out of the programs that embed mockocean.
//
//	func TestUploader(t *testing.T) {
//		srv := oceantest.NewServer(t)
//		upload(srv.ActivateURL, conversion)
//		if c := srv.Conversions(); len(c) != 1 {
//			t.Fatalf("%d conversions, want 1", len(c))
//		}
//	}
package oceantest
