package mockimpact_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
)

func adminFor(t *testing.T, events ...string) (*mockimpact.Admin, *clock.Virtual, *mockimpact.Jobs) {
	t.Helper()
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Status: 200})
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script})
	t.Cleanup(func() { d.Close() })
	for _, e := range events {
		if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: e, URL: "https://brand.example/pb"}); err != nil {
			t.Fatal(err)
		}
	}
	jobs := mockimpact.NewJobs(vc, 0)
	return mockimpact.NewAdmin(d, mockimpact.WithJobs(jobs)), vc, jobs
}

func payloadOf(t *testing.T, out map[string]any) map[string]any {
	t.Helper()
	p, ok := out["payload"].(map[string]any)
	if !ok {
		t.Fatalf("no payload in %v", out)
	}
	return p
}

// TestFireStatus: ?status= picks the status; one seed is one object.
func TestFireStatus(t *testing.T) {
	h, _, _ := adminFor(t, "action_lifecycle", "action_inquiry", "publisher_application", "job_completed")
	code, out := call(t, h, "POST", "/_admin/impact/events/action_lifecycle?seed=5", "")
	tracked := payloadOf(t, out)
	code2, out2 := call(t, h, "POST", "/_admin/impact/events/action_lifecycle?seed=5&status=REVERSED", "")
	reversed := payloadOf(t, out2)
	if code != 202 || code2 != 202 || tracked["Status"] != "TRACKED" || reversed["Status"] != "REVERSED" || reversed["ActionId"] != tracked["ActionId"] || reversed["Amount"].(float64) != 0 {
		t.Fatalf("tracked %v\nreversed %v", tracked, reversed)
	}
	for path, want := range map[string]string{
		"/_admin/impact/events/action_inquiry?status=APPROVED":          "",
		"/_admin/impact/events/publisher_application?status=RETRACTED":  "",
		"/_admin/impact/events/action_lifecycle?status=APPROVED":        `query parameter status: status "APPROVED" is not a status of action_lifecycle (want TRACKED, MODIFIED, REVERSED)`,
		"/_admin/impact/events/job_completed?status=PENDING":            `query parameter status: status "PENDING": job_completed has no status`,
		"/_admin/impact/events/publisher_application?status=approved":   `is not a status of publisher_application`,
		"/_admin/impact/events/action_inquiry?status=APPROVED&seed=1.5": `query parameter seed: "1.5" is not an integer`,
	} {
		code, out := call(t, h, "POST", path, "")
		if msg, _ := out["error"].(string); want == "" && code != 202 || want != "" && (code != 400 || !strings.Contains(msg, want)) {
			t.Errorf("POST %s: %d %v, want %q", path, code, out, want)
		}
	}
	_, out = call(t, h, "POST", "/_admin/impact/events/action_inquiry?status=REJECTED", "")
	if q := payloadOf(t, out); q["ResolutionStatus"] != "REJECTED" || q["RejectReason"] == nil || q["ResolutionDate"] == nil {
		t.Fatalf("rejected inquiry %v", q)
	}
}

// TestFireOverlay: a supplied partial payload overrides the generated
// event from ?seed= and ?status=; unknown fields and impossible statuses
// are refused naming the field.
func TestFireOverlay(t *testing.T) {
	h, _, _ := adminFor(t, "action_lifecycle", "job_completed", "publisher_application")
	_, out := call(t, h, "POST", "/_admin/impact/events/job_completed?seed=9", "")
	generated := payloadOf(t, out)
	code, out := call(t, h, "POST", "/_admin/impact/events/job_completed?seed=9", `{"JobId":777}`)
	job := payloadOf(t, out)
	if code != 202 || job["JobId"].(float64) != 777 || job["StartDate"] != generated["StartDate"] || job["StartDate"] == "0001-01-01T00:00:00Z" ||
		job["RecordsProcessed"] != generated["RecordsProcessed"] || !strings.HasSuffix(job["ApiJobDetailUri"].(string), "/impact/jobs/777") {
		t.Fatalf("overlay %v\ngenerated %v", job, generated)
	}
	code, out = call(t, h, "POST", "/_admin/impact/events/action_lifecycle?seed=3", `{"Status":"MODIFIED","Note":"mine","CallerId":"+1555"}`)
	al := payloadOf(t, out)
	_, out = call(t, h, "POST", "/_admin/impact/events/action_lifecycle?seed=3&status=MODIFIED", "")
	want := payloadOf(t, out)
	if code != 202 || al["Status"] != "MODIFIED" || al["Note"] != "mine" || al["CallerId"] != "+1555" || al["DeltaAmount"] != want["DeltaAmount"] || al["ActionId"] != want["ActionId"] {
		t.Fatalf("overlay %v\nwant as %v", al, want)
	}
	for body, want := range map[string]string{
		`{"JobID":1}`:               `job_completed payload: unknown field "JobID"`,
		`{"JobId":"x"}`:             `job_completed payload: field JobId: got JSON string`,
		`{"Status":"PENDING"}`:      `job_completed payload: unknown field "Status"`,
		`[1]`:                       `job_completed payload:`,
		`{"StartDate":"yesterday"}`: `job_completed payload: field StartDate`,
	} {
		code, out := call(t, h, "POST", "/_admin/impact/events/job_completed", body)
		if msg, _ := out["error"].(string); code != 400 || !strings.Contains(msg, want) {
			t.Errorf("POST %s: %d %q, want 400 with %q", body, code, msg, want)
		}
	}
	for path, c := range map[string]struct{ body, want string }{
		"action_lifecycle":                      {`{"Status":"APPROVED"}`, `action_lifecycle payload: field Status: "APPROVED" is not a status of action_lifecycle (want TRACKED, MODIFIED, REVERSED)`},
		"action_lifecycle?status=TRACKED":       {`{"Status":"REVERSED"}`, `field Status: "REVERSED" differs from the query parameter status=TRACKED`},
		"publisher_application":                 {`{"Status":""}`, `field Status: "" is not a status of publisher_application`},
		"publisher_application?status=APPROVED": {`{"Status":"APPROVED","Name":"Mine"}`, ""},
	} {
		code, out := call(t, h, "POST", "/_admin/impact/events/"+path, c.body)
		if msg, _ := out["error"].(string); c.want == "" && code != 202 || c.want != "" && (code != 400 || !strings.Contains(msg, c.want)) {
			t.Errorf("POST %s %s: %d %v, want %q", path, c.body, code, out, c.want)
		}
	}
}

// TestJobExports: the links of a fired job_completed event point at the
// server, which serves the detail, the result and the four downloads,
// each gone after its expiry on the injected clock.
func TestJobExports(t *testing.T) {
	h, vc, jobs := adminFor(t, "job_completed")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, mockimpact.JobsPrefix) {
			jobs.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/_admin/impact/events/job_completed?seed=2", "application/json", strings.NewReader(`{"RecordsProcessed":3,"JobType":"REPORT_EXPORT"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	job := payloadOf(t, out)
	get := func(u string) (int, string) {
		t.Helper()
		if !strings.HasPrefix(u, srv.URL+"/impact/") {
			t.Fatalf("link %s does not point at the server %s", u, srv.URL)
		}
		r, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, body := get(job["ApiJobDetailUri"].(string)); code != 200 || !strings.Contains(body, `"RecordsProcessed": 3`) || !strings.Contains(body, `"Status": "COMPLETED"`) {
		t.Fatalf("detail: %d %s", code, body)
	}
	code, result := get(job["ApiResultUri"].(string))
	if lines := strings.Split(strings.TrimSpace(result), "\n"); code != 200 || len(lines) != 4 || lines[0] != mockimpact.JobRecordsHeader("REPORT_EXPORT") {
		t.Fatalf("result: %d %q", code, result)
	}
	links := []string{"ResultDownloadUrlExp5", "ResultDownloadUrlExp15", "ResultDownloadUrlExp30", "ResultDownloadUrlExp60"}
	for _, l := range links {
		if code, body := get(job[l].(string)); code != 200 || body != result {
			t.Fatalf("%s: %d %q, want the result", l, code, body)
		}
	}
	for i, l := range links {
		vc.Advance(mockimpact.DownloadExpiries[i] - vc.Now().Sub(clock.Epoch) - time.Nanosecond)
		if code, _ := get(job[l].(string)); code != 200 {
			t.Fatalf("%s just before its expiry: %d", l, code)
		}
		vc.Advance(time.Nanosecond)
		if code, body := get(job[l].(string)); code != 410 || !strings.Contains(body, "expired") {
			t.Fatalf("%s at its expiry: %d %s", l, code, body)
		}
	}
	if code, _ := get(job["ApiResultUri"].(string)); code != 200 {
		t.Fatal("the result itself does not expire")
	}
	for _, u := range []string{srv.URL + "/impact/jobs/1", srv.URL + "/impact/file?token=nope&exp=5min", srv.URL + "/impact/jobs/x"} {
		if code, _ := get(u); code != 404 {
			t.Errorf("%s: %d, want 404", u, code)
		}
	}
}

// TestFireACount: ?count=N fires N events, from seeds seed…seed+N-1 (the
// same seed, the same batch), and answers their delivery ids; a count out
// of range is a 400 naming it; a batch stopped by the bound on pending
// deliveries answers 409 with the ids already fired, which go on.
func TestFireACount(t *testing.T) {
	admin, _, _ := adminFor(t, "action_lifecycle")
	fire := func(query string) (int, map[string]any) {
		t.Helper()
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, httptest.NewRequest("POST", mockimpact.AdminPrefix+"/events/action_lifecycle"+query, nil))
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out
	}
	code, out := fire("?count=3&seed=40")
	ids, _ := out["delivery_ids"].([]any)
	if code != 202 || len(ids) != 3 || out["count"] != float64(3) {
		t.Fatalf("count=3: %d %v", code, out)
	}
	_, single := fire("?seed=41") // the batch's second event, alone
	second := single["payload"].(map[string]any)["ActionId"]
	w := httptest.NewRecorder()
	admin.ServeHTTP(w, httptest.NewRequest("GET", mockimpact.AdminPrefix+"/deliveries/"+ids[1].(string), nil))
	if !strings.Contains(w.Body.String(), second.(string)) {
		t.Errorf("the batch's second delivery does not carry seed 41's ActionId %v", second)
	}
	for _, q := range []string{"?count=0", "?count=10001", "?count=many"} {
		if code, out := fire(q); code != 400 || !strings.Contains(out["error"].(string), "count") {
			t.Errorf("%s: %d %v", q, code, out)
		}
	}

	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Status: 200})
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script, MaxPending: 2})
	defer d.Close()
	if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "action_lifecycle", URL: "https://brand.example/pb", MinDelay: clock.Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	bounded := mockimpact.NewAdmin(d)
	w = httptest.NewRecorder()
	bounded.ServeHTTP(w, httptest.NewRequest("POST", mockimpact.AdminPrefix+"/events/action_lifecycle?count=5", nil))
	var stopped map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &stopped)
	if fired, _ := stopped["delivery_ids"].([]any); w.Code != 409 || len(fired) != 2 || !strings.Contains(stopped["error"].(string), "the first 2 of the batch were fired") {
		t.Errorf("a batch past the pending bound: %d %v", w.Code, stopped)
	}
}
