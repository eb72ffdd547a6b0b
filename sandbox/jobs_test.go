package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// TestJobExportEndToEnd: a brand's handler gets a job_completed postback
// fired in a namespace, follows its 5-minute download link back to the
// sandbox (with the namespace's path) and reads the CSV; the link is gone
// once five minutes have passed on the sandbox's clock.
func TestJobExportEndToEnd(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	sb := New(Config{Impact: mockimpact.Options{Clock: vc}})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()

	var mu sync.Mutex
	var got, link string
	brand := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		u, _ := ev["ResultDownloadUrlExp5"].(string)
		resp, err := http.Get(u)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		mu.Lock()
		got, link = string(b), u
		mu.Unlock()
		w.WriteHeader(resp.StatusCode)
	}))
	defer brand.Close()

	c := client{t: t, base: hs.URL}
	if s, b := c.do("PUT", "/ns/team-a/_admin/impact/postbacks/job_completed", `{"url":"`+brand.URL+`/jobs"}`); s != 200 {
		t.Fatalf("configure: %d %s", s, b)
	}
	s, b := c.do("POST", "/ns/team-a/_admin/impact/events/job_completed?seed=3", `{"RecordsProcessed":5,"JobType":"CLICK_EXPORT"}`)
	if s != 202 {
		t.Fatalf("fire: %d %s", s, b)
	}
	var fired struct {
		Payload map[string]any `json:"payload"`
	}
	_ = json.Unmarshal([]byte(b), &fired)
	if err := vc.Settle(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.HasPrefix(link, hs.URL+"/ns/team-a/impact/file?token=") || !strings.HasSuffix(link, "&exp=5min") {
		t.Fatalf("download link %q does not point at the namespace", link)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 6 || lines[0] != mockimpact.JobRecordsHeader("CLICK_EXPORT") {
		t.Fatalf("the brand read %q", got)
	}
	if d := impactDeliveries(t, sb.tenantList()[1].Impact); len(d) != 1 || d[0].Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("delivery %+v", d)
	}
	for _, k := range []string{"ApiJobDetailUri", "ApiResultUri"} {
		if u := fired.Payload[k].(string); !strings.HasPrefix(u, hs.URL+"/ns/team-a/impact/jobs/") {
			t.Fatalf("%s = %s", k, u)
		}
	}
	if s, _ := c.do("GET", strings.TrimPrefix(link, hs.URL), ""); s != 200 {
		t.Fatalf("before expiry: %d", s)
	}
	vc.Advance(5 * time.Minute)
	if s, b := c.do("GET", strings.TrimPrefix(link, hs.URL), ""); s != 410 {
		t.Fatalf("after 5 minutes on the sandbox's clock: %d %s", s, b)
	}
	if s, _ := c.do("GET", strings.TrimPrefix(strings.Replace(link, "exp=5min", "exp=15min", 1), hs.URL), ""); s != 200 {
		t.Fatalf("the 15-minute link after 5 minutes: %d", s)
	}
	if s, _ := c.do("GET", strings.TrimPrefix(link, hs.URL+"/ns/team-a"), ""); s != 404 {
		t.Fatalf("another namespace's download: %d", s)
	}
}

// TestJobLinksUsePublicURL: a configured public URL wins over the
// request's host; the plain paths have no namespace prefix.
func TestJobLinksUsePublicURL(t *testing.T) {
	sb := New(Config{PublicURL: "https://sandbox.example:8443/", AdminToken: "tok"})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c := client{t: t, base: hs.URL, token: "tok"}
	c.do("PUT", "/_admin/impact/postbacks/job_completed", `{"url":"http://127.0.0.1:1/x"}`)
	_, b := c.do("POST", "/_admin/impact/events/job_completed?seed=1", "")
	if !strings.Contains(b, `"ApiJobDetailUri": "https://sandbox.example:8443/impact/jobs/`) || !strings.Contains(b, `"ResultDownloadUrlExp60": "https://sandbox.example:8443/impact/file?token=`) {
		t.Fatalf("fire: %s", b)
	}
	var out struct {
		Payload struct{ ApiResultUri string } `json:"payload"`
	}
	_ = json.Unmarshal([]byte(b), &out)
	open := client{t: t, base: hs.URL} // the exports need no admin token, like a signed download link
	if s, _ := open.do("GET", strings.TrimPrefix(out.Payload.ApiResultUri, "https://sandbox.example:8443"), ""); s != 200 {
		t.Fatalf("result: %d", s)
	}
}
