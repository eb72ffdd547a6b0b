package oceantest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/postbacksim/postbacksim/internal/exampletb"
	"github.com/postbacksim/postbacksim/mockocean"
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

// The v2 API, as the Go SDK posts to it: a JSON document, an answer with
// code, message and request_id.
func ExampleServer_v2() {
	t := &exampletb.T{} // in a test: the *testing.T you are given
	defer t.Done()
	srv := oceantest.NewServer(t)

	body := `{"event_type":"active_pay","context":{"ad":{"callback":"abc","attributed":false},` +
		`"device":{"imei":"0c2bd03c39f19845bf54ea0abafae70e"}},"properties":{"pay_amount":600},"timestamp":1764988800123}`
	resp, err := http.Post(srv.V2URL, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("%v", err)
	}
	var a mockocean.V2Answer
	_ = json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	fmt.Println(a.Code, a.Message)

	r := srv.Requests()[0]
	fmt.Println(r.API, r.RequestID == a.RequestID, r.Conversion.EventName, r.Conversion.EventType, string(r.Conversion.Props))
	// Output:
	// 0 success
	// v2 true active_pay 2 {"pay_amount":600}
}
