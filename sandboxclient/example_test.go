package sandboxclient_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

// An uploader's conversion goes to the sandbox; the client reads it back
// from the Ocean journal, accepted (code 0) and parsed.
func Example() {
	sb := sandbox.New(sandbox.Config{})
	defer sb.Close()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	ctx := context.Background()

	c, err := sandboxclient.New(srv.URL) // + sandboxclient.WithToken(…) when serve has --admin-token
	if err != nil {
		fmt.Println(err)
		return
	}
	// What the uploader under test does:
	resp, err := http.Get(srv.URL + "/track/activate/?callback=abc&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=0&outer_event_id=order-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	j, err := c.OceanRequests(ctx, sandboxclient.OceanFilter{Code: new(0)})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := j.Requests[0]
	fmt.Println(j.Count, "accepted:", r.Path, r.Code, r.Msg)
	fmt.Println("event", r.Conversion.EventType, r.Conversion.EventName, "callback", r.Conversion.Callback)
	// Output:
	// 1 accepted: /track/activate/ 0 success
	// event 0 激活 callback abc
}

// Impact postbacks: configure where an event is delivered, fire it, wait
// for its delivery and read what the receiver got.
func Example_impact() {
	sb := sandbox.New(sandbox.Config{})
	defer sb.Close()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "OK")
	}))
	defer receiver.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := sandboxclient.New(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.ConfigurePostback(ctx, mockimpact.Postback{
		Event: "action_lifecycle", URL: receiver.URL + "/pb?aid={ActionId}", Method: http.MethodGet, Format: "none",
	}); err != nil {
		fmt.Println(err)
		return
	}
	fired, err := c.Fire(ctx, "action_lifecycle", sandboxclient.FireOptions{Seed: new(int64(42))})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := c.WaitDelivery(ctx, fired.DeliveryIDs[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	a := d.Attempts[0]
	fmt.Println(d.ID, d.Event, d.Outcome, len(d.Attempts), "attempt:", a.Status, a.ResponseBody)
	// Output:
	// d000001 action_lifecycle delivered 1 attempt: 200 OK
}
