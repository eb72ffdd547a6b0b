package mockimpact_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
)

func call(t *testing.T, h http.Handler, method, path, body string) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	var out map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: non-JSON answer %q", method, path, w.Body)
		}
	}
	return w.Code, out
}

func TestAdminConfigureFireAndRead(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Status: 500}, mockimpact.Step{Body: "OK"})
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script})
	h := mockimpact.NewAdmin(d)

	code, out := call(t, h, "PUT", "/_admin/impact/postbacks/action_lifecycle",
		`{"url":"https://brand.example/pb?aid={ActionId}","method":"GET","success":"OK","error":500,"min_delay":"5s","max_rps":10}`)
	if code != 200 || out["format"] != "form" || out["success"] != "OK" || out["error"] != "500" || out["timeout"] != "30s" {
		t.Fatalf("PUT: %d %v", code, out)
	}
	for body, want := range map[string]string{
		`{"url":"https://b/{Nope}"}`:                                `field url: url:1:11: unknown field "Nope"`,
		`{"url":"https://b/","method":3}`:                           "field method: got JSON number, want string",
		`{"url":"https://b/","min_delay":"soon"}`:                   `field min_delay: got JSON "soon" (want a duration`,
		`{"url":"https://b/","success":"200","error":"200"}`:        `field error: "200" is also the success response`,
		`{"url":"https://b/","success":"404"}`:                      `field success: status 404 is retried whatever the configuration says`,
		`{"url":"https://b/","event":"job_completed"}`:              `field event: "job_completed" differs from the path's`,
		`{"url":"https://b/","retries":3}`:                          `unknown field "retries"`,
		`{"url":"https://b/","headers":{"X-Sig":"a\r\nX-Evil: 1"}}`: `field headers: header X-Sig: the value holds a line break (CR or LF)`,
		`{"url":"https://b/","headers":{"X Sig":"a"}}`:              `field headers: "X Sig" is not a valid header name`,
		`{"url":"file:///etc/passwd"}`:                              `field url: invalid URL "file:///etc/passwd": scheme "file": want http or https`,
		`{"url":"file:///tmp/{ActionId}"}`:                          `field url: invalid URL "file:///tmp/{ActionId}": scheme "file"`,
		`{"url":"https://b/{ActionId} x"}`:                          `field url: invalid URL "https://b/{ActionId} x": a space at 1:21`,
	} {
		code, out := call(t, h, "PUT", "/_admin/impact/postbacks/action_lifecycle", body)
		if msg, _ := out["error"].(string); code != 400 || !strings.Contains(msg, want) {
			t.Errorf("PUT %s: %d %q, want 400 with %q", body, code, msg, want)
		}
	}
	if code, out := call(t, h, "PUT", "/_admin/impact/postbacks/nope", `{"url":"https://b/"}`); code != 400 || !strings.Contains(out["error"].(string), `unknown event "nope"`) {
		t.Errorf("unknown event: %d %v", code, out)
	}

	code, out = call(t, h, "POST", "/_admin/impact/events/action_lifecycle?seed=3", "")
	if code != 202 || out["delivery_id"] != "d000001" {
		t.Fatalf("fire: %d %v", code, out)
	}
	code, out = call(t, h, "POST", "/_admin/impact/events/action_lifecycle", `{"ActionId":"ACT-SUPPLIED","Amount":12.5}`)
	if code != 202 || out["payload"].(map[string]any)["ActionId"] != "ACT-SUPPLIED" {
		t.Fatalf("fire supplied: %d %v", code, out)
	}
	for path, want := range map[string]string{
		"/_admin/impact/events/action_lifecycle?seed=x": "query parameter seed",
		"/_admin/impact/events/job_completed":           "no postback configured",
		"/_admin/impact/events/nope":                    `unknown event "nope"`,
	} {
		if code, out := call(t, h, "POST", path, ""); code < 400 || !strings.Contains(out["error"].(string), want) {
			t.Errorf("POST %s: %d %v", path, code, out)
		}
	}
	if code, out := call(t, h, "POST", "/_admin/impact/events/action_lifecycle", `{"Amount":"lots"}`); code != 400 || !strings.Contains(out["error"].(string), "action_lifecycle payload") {
		t.Errorf("bad payload: %d %v", code, out)
	}

	vc.RunUntilIdle(0)
	code, out = call(t, h, "GET", "/_admin/impact/deliveries?outcome=delivered", "")
	if code != 200 || out["count"].(float64) != 2 {
		t.Fatalf("deliveries: %d %v", code, out)
	}
	dl := out["deliveries"].([]any)[0].(map[string]any)
	attempts := dl["attempts"].([]any)
	if len(attempts) != 2 || attempts[0].(map[string]any)["outcome"] != "error_response" || attempts[1].(map[string]any)["offset_ns"].(float64) != 15e9 {
		t.Fatalf("attempts %v", attempts)
	}
	code, out = call(t, h, "GET", "/_admin/impact/deliveries?limit=1", "")
	if list := out["deliveries"].([]any); code != 200 || out["count"].(float64) != 2 || len(list) != 1 || list[0].(map[string]any)["id"] != "d000002" {
		t.Fatalf("deliveries?limit=1: %d %v, want the newest of 2", code, out)
	}
	for _, bad := range []string{"-1", "x"} {
		if code, out := call(t, h, "GET", "/_admin/impact/deliveries?limit="+bad, ""); code != 400 || !strings.Contains(out["error"].(string), "query parameter limit") {
			t.Errorf("deliveries?limit=%s: %d %v", bad, code, out)
		}
	}
	if code, _ := call(t, h, "GET", "/_admin/impact/deliveries/d000002", ""); code != 200 {
		t.Fatalf("one delivery: %d", code)
	}
	if code, _ := call(t, h, "GET", "/_admin/impact/deliveries/d999", ""); code != 404 {
		t.Fatalf("missing delivery: %d", code)
	}
	if code, _ := call(t, h, "DELETE", "/_admin/impact/deliveries", ""); code != 204 || len(deliveries(t, d)) != 0 {
		t.Fatalf("reset: %d, %d left", code, len(deliveries(t, d)))
	}
	if code, out := call(t, h, "GET", "/_admin/impact/postbacks", ""); code != 200 || len(out["postbacks"].([]any)) != 1 {
		t.Fatalf("postbacks: %v", out)
	}
}

func TestAdminDeletePostback(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Body: "OK"})
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script})
	h := mockimpact.NewAdmin(d)
	if code, out := call(t, h, "PUT", "/_admin/impact/postbacks/action_lifecycle", `{"url":"https://brand.example/pb","method":"GET"}`); code != 200 {
		t.Fatalf("PUT: %d %v", code, out)
	}
	if code, out := call(t, h, "DELETE", "/_admin/impact/postbacks/action_lifecycle", ""); code != 204 {
		t.Fatalf("DELETE: %d %v", code, out)
	}
	if code, out := call(t, h, "GET", "/_admin/impact/postbacks", ""); code != 200 || len(out["postbacks"].([]any)) != 0 {
		t.Fatalf("GET after DELETE: %d %v", code, out)
	}
	if code, out := call(t, h, "DELETE", "/_admin/impact/postbacks/action_lifecycle", ""); code != 404 || !strings.Contains(out["error"].(string), "no postback configured") {
		t.Fatalf("DELETE again: %d %v; want 404", code, out)
	}
	if code, out := call(t, h, "POST", "/_admin/impact/events/action_lifecycle", ""); code != 409 {
		t.Fatalf("fire after DELETE: %d %v; want 409", code, out)
	}
}

// TestPendingDeliveryListsNoAttemptsAsAnEmptyList: a delivery read before
// its first attempt has "attempts": [], as the API description says,
// not null, in the list and on its own.
func TestPendingDeliveryListsNoAttemptsAsAnEmptyList(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Body: "OK"})
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script})
	defer d.Close()
	h := mockimpact.NewAdmin(d)
	if code, out := call(t, h, "PUT", "/_admin/impact/postbacks/action_lifecycle", `{"url":"https://brand.example/pb","min_delay":"1h"}`); code != 200 {
		t.Fatalf("PUT: %d %v", code, out)
	}
	if code, out := call(t, h, "POST", "/_admin/impact/events/action_lifecycle", ""); code != 202 {
		t.Fatalf("fire: %d %v", code, out)
	}
	_, list := call(t, h, "GET", "/_admin/impact/deliveries", "")
	_, one := call(t, h, "GET", "/_admin/impact/deliveries/d000001", "")
	deliveries, _ := list["deliveries"].([]any)
	if len(deliveries) != 1 {
		t.Fatalf("list: %v", list)
	}
	for where, dl := range map[string]any{"in the list": deliveries[0], "on its own": one} {
		m, _ := dl.(map[string]any)
		if attempts, ok := m["attempts"].([]any); !ok || len(attempts) != 0 {
			t.Errorf("%s: attempts %#v, want []", where, m["attempts"])
		}
	}
}
