package mockocean_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
)

// A test server answers like Ocean Engine and journals every request.
func ExampleNewTestServer() {
	t := &testing.T{} // in a real test, the *testing.T you are given
	srv := mockocean.NewTestServer(t)

	resp, _ := http.Get(srv.ActivateURL + "?callback=abc&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=2")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	_ = srv.WaitForRequests(context.Background(), 1)
	c := srv.Conversions()[0]
	fmt.Println(c.EventType, c.EventName, c.IMEI)
	srv.Close()
	// Output:
	// {"code":0,"ret":0,"msg":"success"}
	// 2 付费 0c2bd03c39f19845bf54ea0abafae70e
}

// Faults make the emulator fail on purpose, to test an uploader's retries.
func ExampleServer_InjectFault() {
	srv := mockocean.New(mockocean.Config{})
	f, _ := srv.InjectFault(mockocean.Fault{Status: 503, Times: 1, Match: map[string]string{"event_type": "2"}})
	fmt.Println(f.ID, f.Status, f.Times)
	// Output: f1 503 1
}
