package oceantest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/postbacksim/postbacksim/internal/exampletb"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

// A test server answers like Ocean Engine and journals every request.
func ExampleNewServer() {
	t := &exampletb.T{} // in a test: the *testing.T you are given
	defer t.Done()
	srv := oceantest.NewServer(t)

	resp, err := http.Get(srv.ActivateURL + "?callback=abc&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=2")
	if err != nil {
		t.Fatalf("%v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	_ = srv.WaitForRequests(context.Background(), 1)
	c := srv.Conversions()[0]
	fmt.Println(c.EventType, c.EventName, c.IMEI)
	// Output:
	// {"code":0,"ret":0,"msg":"success"}
	// 2 付费 0c2bd03c39f19845bf54ea0abafae70e
}
