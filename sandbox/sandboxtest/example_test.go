package sandboxtest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/postbacksim/postbacksim/internal/exampletb"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// The whole sandbox in a test: each namespace under /ns/NAME/ has its own
// journal, so parallel tests do not see each other's requests.
func ExampleNewServer() {
	t := &exampletb.T{} // in a test: the *testing.T you are given
	defer t.Done()
	srv := sandboxtest.NewServer(t)

	resp, err := http.Get(srv.URL + "/ns/team-a/track/activate/?callback=abc&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=0")
	if err != nil {
		t.Fatalf("%v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	ctx := context.Background()
	teamA, def := srv.Namespace("team-a"), srv.Namespace(sandbox.DefaultNamespace)
	_ = teamA.Ocean.WaitForRequests(ctx, 1)
	a, _ := teamA.Ocean.Requests(ctx)
	d, _ := def.Ocean.Requests(ctx)
	fmt.Println(len(a), len(d))
	// Output:
	// {"code":0,"ret":0,"msg":"success"}
	// 1 0
}
