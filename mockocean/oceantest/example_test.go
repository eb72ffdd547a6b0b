package oceantest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

// exampleT stands in for the *testing.T a real test is given: it runs the
// cleanups when the example ends and panics where a test would fail.
type exampleT struct{ cleanups []func() }

func (t *exampleT) Helper()                        {}
func (t *exampleT) Cleanup(f func())               { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A test server answers like Ocean Engine and journals every request.
func ExampleNewServer() {
	t := &exampleT{} // in a test: the *testing.T you are given
	defer t.done()
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
