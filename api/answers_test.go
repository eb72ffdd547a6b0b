package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/api"
	"github.com/postbacksim/postbacksim/sandbox"
)

// call is one request of the walk: the documented operation it
// exercises ("METHOD /template", whose method it sends), and the status
// it must get.
type call struct {
	op, path, contentType, body string
	want                        int
}

// TestAnswersMatchTheOpenAPI calls every documented operation on a
// sandbox with an admin token, success and the documented errors, and
// validates each request and answer against api/openapi.json with
// libopenapi's validator: bodies, parameters, statuses and media types.
func TestAnswersMatchTheOpenAPI(t *testing.T) {
	const token = "walk-token-0123456789"
	sb := sandbox.New(sandbox.Config{AdminToken: token})
	defer sb.Close()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer recv.Close()
	v := newValidator(t)
	exercised := map[string]bool{}

	do := func(c call) []byte {
		t.Helper()
		method, _, _ := strings.Cut(c.op, " ")
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(method, srv.URL+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		} else if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatalf("%s %s: %v", method, c.path, err)
		}
		defer resp.Body.Close()
		var got []byte
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			got = make([]byte, 64)
			n, _ := io.ReadAtLeast(resp.Body, got, 10)
			got = got[:n]
			cancel()
		} else if got, err = io.ReadAll(resp.Body); err != nil {
			t.Fatalf("%s %s: reading: %v", method, c.path, err)
		}
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d %s, want %d", method, c.path, resp.StatusCode, got, c.want)
		}
		// The validator reads both bodies again.
		vreq, _ := http.NewRequest(method, srv.URL+c.path, strings.NewReader(c.body))
		vreq.Header = req.Header.Clone()
		resp.Body = io.NopCloser(bytes.NewReader(got))
		validate := v.ValidateHttpRequestResponse
		if c.want == http.StatusBadRequest { // the request is wrong on purpose: its answer must still be as documented
			validate = v.ValidateHttpResponse
		}
		if ok, errs := validate(vreq, resp); !ok {
			for _, e := range errs {
				t.Errorf("%s %s (%d): %s: %s", method, c.path, resp.StatusCode, e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("    at %s: %s", se.FieldPath, se.Reason)
				}
			}
		}
		exercised[c.op] = true
		return got
	}
	walk(t, srv.URL, recv.URL, do)

	for op := range documented(t) {
		if !exercised[op] {
			t.Errorf("%s is documented but the walk never calls it", op)
		}
	}
}

// walk makes the calls, in an order in which each finds what it needs.
func walk(t *testing.T, base, recv string, do func(call) []byte) {
	const activate = "/track/activate/"
	conv := "callback=CB1&event_type=2&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&os=1&outer_event_id=e1"
	for _, c := range []call{
		{op: "GET /healthz", path: "/healthz", want: 200},
		{op: "GET /readyz", path: "/readyz", want: 200},
		{op: "GET " + api.Path, path: api.Path, want: 200},
		{op: "GET /metrics", path: "/metrics", want: 200},
		{op: "GET " + activate, path: activate + "?" + conv, want: 200},
		{op: "GET " + activate, path: activate + "?" + conv, want: 200}, // its duplicate
		{op: "GET " + activate, path: activate + "?event_type=2", want: 200},
		{op: "POST " + activate, path: activate, contentType: "application/x-www-form-urlencoded",
			body: "callback=CB2&event_type=3&imei=0c2bd03c39f19845bf54ea0abafae70e", want: 200},
		{op: "POST /api/v2/conversion", path: "/api/v2/conversion",
			body: `{"event_type":"active","context":{"ad":{"callback":"CB3"},"device":{"platform":"ios","idfa":"FCD369C3-F622-44B8-AFDE-12065659F34B"}},"timestamp":1700000000000}`, want: 200},
		{op: "POST /api/v2/conversion", path: "/api/v2/conversion", body: `{"event_type":"no_such_event"}`, want: 200},

		{op: "GET /_admin/ocean/requests", path: "/_admin/ocean/requests?limit=2&api=track", want: 200},
		{op: "GET /_admin/ocean/requests", path: "/_admin/ocean/requests?since=1&warned=false", want: 200},
		{op: "GET /_admin/ocean/requests", path: "/_admin/ocean/requests?limit=-1", want: 400},
		{op: "GET /_admin/ocean/requests", path: "/_admin/ocean/requests?format=har", want: 200},
		{op: "GET /_admin/ocean/requests", path: "/_admin/ocean/requests?format=xml", want: 400},
		{op: "GET /_admin/ocean/conversions", path: "/_admin/ocean/conversions", want: 200},
		{op: "GET /_admin/ocean/dedup", path: "/_admin/ocean/dedup", want: 200},
		{op: "GET /_admin/ocean/report", path: "/_admin/ocean/report", want: 200},
		{op: "GET /_admin/ocean/report", path: "/_admin/ocean/report?format=junit&fail_on=warning", want: 200},
		{op: "GET /_admin/ocean/report", path: "/_admin/ocean/report?format=pdf", want: 400},
		{op: "GET /_admin/ocean/catalog", path: "/_admin/ocean/catalog", want: 200},
		{op: "GET /_admin/ocean/monitor-macros", path: "/_admin/ocean/monitor-macros", want: 200},
		{op: "GET /_admin/ocean/clicks", path: "/_admin/ocean/clicks", want: 200},
		{op: "POST /_admin/ocean/clicks", path: "/_admin/ocean/clicks", body: `{"count":100000}`, want: 400},
		{op: "POST /_admin/ocean/faults", path: "/_admin/ocean/faults", body: `{"status":503,"times":1}`, want: 201},
		{op: "POST /_admin/ocean/faults", path: "/_admin/ocean/faults", body: `{"status":"soon"}`, want: 400},
		{op: "GET /_admin/ocean/faults", path: "/_admin/ocean/faults", want: 200},
		{op: "DELETE /_admin/ocean/faults/{id}", path: "/_admin/ocean/faults/nope", want: 404},
		{op: "DELETE /_admin/ocean/faults", path: "/_admin/ocean/faults", want: 204},
		{op: "DELETE /_admin/ocean/dedup", path: "/_admin/ocean/dedup", want: 204},
		{op: "DELETE /_admin/ocean/requests", path: "/_admin/ocean/requests", want: 204},
		{op: "GET /_admin/stream", path: "/_admin/stream?since=0.0", want: 200},
		{op: "GET /_admin/stream", path: "/_admin/stream?since=x", want: 400},
	} {
		do(c)
	}
	// A fault rule, removed by its id.
	var fault struct{ ID string }
	if err := json.Unmarshal(do(call{op: "POST /_admin/ocean/faults", path: "/_admin/ocean/faults", body: `{"code":40001,"times":1}`, want: 201}), &fault); err != nil || fault.ID == "" {
		t.Fatalf("fault: %v %+v", err, fault)
	}
	do(call{op: "DELETE /_admin/ocean/faults/{id}", path: "/_admin/ocean/faults/" + fault.ID, want: 204})

	// impact
	pb := fmt.Sprintf(`{"url":%q,"method":"GET","format":"none"}`, recv+"/pb?aid={ActionId}")
	for _, c := range []call{
		{op: "GET /_admin/impact/events", path: "/_admin/impact/events", want: 200},
		{op: "PUT /_admin/impact/postbacks/{event}", path: "/_admin/impact/postbacks/action_lifecycle", body: pb, want: 200},
		{op: "PUT /_admin/impact/postbacks/{event}", path: "/_admin/impact/postbacks/action_inquiry",
			body: fmt.Sprintf(`{"url":%q,"method":"POST","format":"json","success":"OK","error":500,"min_delay":"1s","max_rps":5}`, recv+"/inq"), want: 200},
		{op: "PUT /_admin/impact/postbacks/{event}", path: "/_admin/impact/postbacks/action_lifecycle", body: `{"url":"ftp://x"}`, want: 400},
		{op: "GET /_admin/impact/postbacks", path: "/_admin/impact/postbacks", want: 200},
		{op: "POST /_admin/impact/events/{event}", path: "/_admin/impact/events/action_lifecycle?seed=7", want: 202},
		{op: "POST /_admin/impact/events/{event}", path: "/_admin/impact/events/action_lifecycle?count=3", want: 202},
		{op: "POST /_admin/impact/events/{event}", path: "/_admin/impact/events/action_lifecycle", body: `{"ActionId":"ACT-1"}`, want: 202},
		{op: "POST /_admin/impact/events/{event}", path: "/_admin/impact/events/job_completed", want: 409},
		{op: "POST /_admin/impact/events/{event}", path: "/_admin/impact/events/nope", want: 404},
		{op: "POST /_admin/impact/events/{event}", path: "/_admin/impact/events/action_lifecycle?seed=x", want: 400},
	} {
		do(c)
	}
	var list struct {
		Stats      struct{ Pending int }
		Deliveries []struct{ ID string }
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := json.Unmarshal(do(call{op: "GET /_admin/impact/deliveries", path: "/_admin/impact/deliveries?limit=10", want: 200}), &list); err != nil {
			t.Fatal(err)
		}
		if list.Stats.Pending == 0 && len(list.Deliveries) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not made: %+v", list)
		}
		time.Sleep(10 * time.Millisecond) // real time: the receiver is real
	}
	id := list.Deliveries[0].ID
	for _, c := range []call{
		{op: "GET /_admin/impact/deliveries", path: "/_admin/impact/deliveries?outcome=delivered&event=action_lifecycle", want: 200},
		{op: "GET /_admin/impact/deliveries", path: "/_admin/impact/deliveries?limit=x", want: 400},
		{op: "GET /_admin/impact/deliveries/{id}", path: "/_admin/impact/deliveries/" + id, want: 200},
		{op: "GET /_admin/impact/deliveries/{id}", path: "/_admin/impact/deliveries/" + id + "?format=har", want: 200},
		{op: "GET /_admin/impact/deliveries", path: "/_admin/impact/deliveries?format=har&limit=2", want: 200},
		{op: "GET /_admin/impact/deliveries/{id}", path: "/_admin/impact/deliveries/nope", want: 404},
		{op: "POST /_admin/impact/deliveries/{id}/retry", path: "/_admin/impact/deliveries/" + id + "/retry", want: 409},
		{op: "POST /_admin/impact/deliveries/{id}/retry", path: "/_admin/impact/deliveries/nope/retry", want: 404},
		{op: "POST /_admin/impact/deliveries/{id}/replay", path: "/_admin/impact/deliveries/" + id + "/replay", want: 202},
		{op: "POST /_admin/impact/deliveries/{id}/replay", path: "/_admin/impact/deliveries/nope/replay", want: 404},
		{op: "DELETE /_admin/impact/postbacks/{event}", path: "/_admin/impact/postbacks/job_completed", want: 404},
		{op: "DELETE /_admin/impact/postbacks/{event}", path: "/_admin/impact/postbacks/action_inquiry", want: 204},
		{op: "DELETE /_admin/impact/postbacks/{event}", path: "/_admin/impact/postbacks/action_lifecycle", want: 204},
		{op: "DELETE /_admin/impact/deliveries", path: "/_admin/impact/deliveries", want: 204},
		{op: "GET /impact/jobs/{id}", path: "/impact/jobs/nope", want: 404},
		{op: "GET /impact/jobs/{id}/result", path: "/impact/jobs/nope/result", want: 404},
		{op: "GET /impact/file", path: "/impact/file?token=nope&exp=5min", want: 404},

		// namespaces
		{op: "POST /_admin/namespaces", path: "/_admin/namespaces", body: `{"name":"walk"}`, want: 201},
		{op: "POST /_admin/namespaces", path: "/_admin/namespaces", body: `{"name":"Bad Name"}`, want: 400},
		{op: "GET /_admin/namespaces", path: "/_admin/namespaces", want: 200},
		{op: "GET /_admin/namespaces/{name}", path: "/_admin/namespaces/walk", want: 200},
		{op: "GET /_admin/namespaces/{name}", path: "/_admin/namespaces/nope", want: 404},
		{op: "DELETE /_admin/namespaces/{name}", path: "/_admin/namespaces/walk", want: 204},
		{op: "DELETE /_admin/namespaces/{name}", path: "/_admin/namespaces/walk", want: 404},
	} {
		do(c)
	}
}
