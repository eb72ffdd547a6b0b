package mockimpact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
)

var update = flag.Bool("update", false, "rewrite golden files")

func compact(t *testing.T, ev fixtures.Event) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// TestDefaultPayloadIsTheDocumentedStruct: the default JSON body, rendered
// through macros and the impact.com document's join templates, is byte for byte the
// struct's JSON encoding (what the fire answer, the journal and `impact
// render` show), for every event and every status over many generated
// payloads.
func TestDefaultPayloadIsTheDocumentedStruct(t *testing.T) {
	for _, spec := range fixtures.ImpactEvents() {
		c, err := Compile(Postback{Event: spec.Name, URL: "https://brand.example/pb"})
		if err != nil {
			t.Fatal(err)
		}
		statuses := []string{""}
		for _, st := range fixtures.StatusesOf(spec.Name) {
			statuses = append(statuses, st.Status)
		}
		for _, status := range statuses {
			for seed := int64(1); seed <= 50; seed++ {
				ev, err := fixtures.NewImpactGen(seed, time.Time{}).EventWithStatus(spec.Name, status)
				if err != nil {
					t.Fatal(err)
				}
				r, err := c.Render(ev)
				if err != nil {
					t.Fatal(err)
				}
				if want := compact(t, ev); r.Body != want {
					t.Fatalf("%s %s seed %d:\n got %s\nwant %s", spec.Name, status, seed, r.Body, want)
				}
			}
		}
	}
}

// TestDocumentJoinTemplates pins the generated join templates to the
// impact.com document's.
func TestDocumentJoinTemplates(t *testing.T) {
	const seedItems = `{join(items, i, "\{\"sku\":\"{i.sku}\",\"item_price\":{i.amt},\"category\":\"{i.cat}\",\"quantity\":{i.qty},\"cartamt\":{i.cartamt},\"rbt\":\"{i.rbt}\",\"name\":\"{i.name}\"\}")}`
	const seedProperties = `{join(properties, i, "{\"platform\":\"{i.platform}\",\"verified\":\"{i.verified}\",\"url\":\"{i.url}\",\"category\":\"{i.category}\",\"reach\":\"{i.reach}\",\"engagementRate\":\"{i.engagementRate}\",\"audienceCountryPct\":\"{i.audienceCountryPct}\",\"audienceGenderPct\":\"{i.audienceGenderPct}\",\"audienceAgeRangePct\":\"{i.audienceAgeRangePct}\"}")}`
	lifecycle, _ := fixtures.LookupEvent("action_lifecycle")
	for _, f := range lifecycle.Fields() {
		if f.Name == "items" && DocumentJoinTemplate(f) != seedItems {
			t.Fatalf("items join:\n got %s\nwant %s", DocumentJoinTemplate(f), seedItems)
		}
	}
	// The properties template differs in text (\{ vs {) but not in output.
	pub, _ := fixtures.LookupEvent("publisher_application")
	ev := fixtures.NewImpactGen(3, time.Time{}).PublisherApplication(fixtures.StatusPending)
	for _, f := range pub.Fields() {
		if f.Name != "properties" {
			continue
		}
		ours := macro.MustCompile("ours", "["+DocumentJoinTemplate(f)+"]", macro.JSON, typeOf(ev))
		doc := macro.MustCompile("document", "["+seedProperties+"]", macro.JSON, typeOf(ev))
		a, _ := ours.Render(ev)
		b, _ := doc.Render(ev)
		if a != b || !json.Valid([]byte(a)) {
			t.Fatalf("properties:\n ours     %s\n document %s", a, b)
		}
	}
}

// TestEveryRenderParses: over every event, both methods and both formats,
// every rendered URL parses and every JSON body is valid JSON.
func TestEveryRenderParses(t *testing.T) {
	configs := []Postback{
		{URL: "https://brand.example/pb/{EventDateish}?src=impact", Method: "GET"},
		{URL: "https://brand.example/pb?src=impact", Method: "GET"},
		{URL: "https://brand.example/pb", Method: "POST"},
		{URL: "https://brand.example/pb?x=1", Method: "POST", Format: "form"},
	}
	for _, spec := range fixtures.ImpactEvents() {
		for _, base := range configs {
			p := base
			p.Event = spec.Name
			p.URL = strings.ReplaceAll(p.URL, "{EventDateish}", "{"+spec.Fields()[0].Name+"}")
			c, err := Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			g := fixtures.NewImpactGen(int64(len(p.URL)), time.Time{})
			for range 30 {
				ev, _ := g.Event(spec.Name)
				r, _ := c.Render(ev)
				u, err := url.Parse(r.URL)
				if err != nil || u.Host != "brand.example" {
					t.Fatalf("%s %s: URL %q: %v", spec.Name, p.Method, r.URL, err)
				}
				if p.Method == "GET" {
					// Every field of the payload comes back out of the query.
					if got := len(u.Query()); got < len(spec.Fields()) {
						t.Fatalf("%s GET: %d query params, want ≥ %d", spec.Name, got, len(spec.Fields()))
					}
				}
				if c.Format == FormatJSON && !json.Valid([]byte(r.Body)) {
					t.Fatalf("%s: invalid JSON body %s", spec.Name, r.Body)
				}
				if c.Format == FormatForm && p.Method == "POST" {
					if _, err := url.ParseQuery(r.Body); err != nil {
						t.Fatalf("%s: form body does not parse: %v", spec.Name, err)
					}
				}
			}
		}
	}
}

func TestGETQueryCarriesValues(t *testing.T) {
	c, err := Compile(Postback{Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}", Method: "get"})
	if err != nil {
		t.Fatal(err)
	}
	ev := fixtures.NewImpactGen(8, time.Time{}).ActionLifecycle()
	r, _ := c.Render(ev)
	u, _ := url.Parse(r.URL)
	q := u.Query()
	if q.Get("aid") != ev.ActionId || q.Get("ActionId") != ev.ActionId || q.Get("Amount") != ev.Amount.String() ||
		q.Get("EventDate") != ev.EventDate.String() || q.Get("CallerId") != "" {
		t.Fatalf("query %v", q)
	}
	var items []fixtures.Item
	if err := json.Unmarshal([]byte(q.Get("items")), &items); err != nil || !cmp.Equal(items, ev.Items) {
		t.Fatalf("items in the query: %v %s", err, q.Get("items"))
	}
	if r.Body != "" || r.Header.Get("Content-Type") != "" {
		t.Fatalf("GET with a body: %q %v", r.Body, r.Header)
	}
}

func TestRequestAndHeaders(t *testing.T) {
	c, err := Compile(Postback{
		Event: "job_completed", URL: "https://brand.example/jobs/{JobId}", Method: "POST",
		Headers: map[string]string{"authorization": "Bearer s3cret", "X-Job": "{JobType}:{JobId}", "Content-Type": "application/vnd.brand+json"},
		Body:    `{"job":{JobId},"type":"{JobType}","records":{RecordsProcessed}}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := fixtures.NewImpactGen(2, time.Time{}).JobCompleted()
	r, _ := c.Render(ev)
	req, err := r.Request(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	var got struct {
		Job     int64
		Type    string
		Records int64
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Job != ev.JobId || got.Type != ev.JobType || got.Records != ev.RecordsProcessed {
		t.Fatalf("body %s: %v", body, err)
	}
	want := map[string]string{
		"Authorization": "Bearer s3cret", "X-Job": ev.JobType + ":" + itoa(ev.JobId),
		"Content-Type": "application/vnd.brand+json", "User-Agent": UserAgent,
	}
	for k, v := range want {
		if req.Header.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, req.Header.Get(k), v)
		}
	}
	if req.Method != "POST" || req.URL.Path != "/jobs/"+itoa(ev.JobId) || req.ContentLength != int64(len(body)) {
		t.Fatalf("%s %s %d", req.Method, req.URL, req.ContentLength)
	}
	// The request's header is its own: changing it leaves the rendered
	// postback, which the next attempt sends again, as it was.
	req.Header.Add("X-Job", "more")
	req.Header.Set("Authorization", "changed")
	req.Header.Set(HopHeader, "h1")
	if got := r.Header.Values("X-Job"); len(got) != 1 || got[0] != ev.JobType+":"+itoa(ev.JobId) {
		t.Errorf("rendered X-Job became %q", got)
	}
	if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get(HopHeader) != "" {
		t.Errorf("rendered header changed: %v", r.Header)
	}
	again, err := r.Request(context.Background())
	if err != nil || again.Header.Get("Authorization") != "Bearer s3cret" || len(again.Header.Values("X-Job")) != 1 {
		t.Errorf("next request's header %v (%v)", again.Header, err)
	}
}

// TestRequestWithoutBody: a GET is sent with no body at all, and one that
// is sent again (as a transport may, on a connection closed under it)
// has none either.
func TestRequestWithoutBody(t *testing.T) {
	r := &Rendered{Method: "GET", URL: "http://127.0.0.1:8080/pb?x=1", Header: http.Header{"User-Agent": {UserAgent}}}
	req, err := r.Request(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if req.Body != http.NoBody || req.ContentLength != 0 || req.GetBody == nil || req.Host != "127.0.0.1:8080" {
		t.Fatalf("body %v, length %d, GetBody set %t, host %q", req.Body, req.ContentLength, req.GetBody != nil, req.Host)
	}
	if b, err := req.GetBody(); b != http.NoBody || err != nil {
		t.Fatalf("GetBody: %v, %v", b, err)
	}
}

func TestInvalidURLs(t *testing.T) {
	for _, raw := range []string{"not a url", "ftp://brand.example/x", "https://", "https://brand.example:port/x", "http://[::1",
		"http://127.0.0.1:99999/x", "http://127.0.0.1:0/x", "http://127.0.0.1:65536/x", "http://brand.example:-1/x"} {
		r := &Rendered{Method: "GET", URL: raw}
		_, err := r.Request(context.Background())
		var iu *InvalidURLError
		if !errors.As(err, &iu) {
			t.Errorf("%q: %v, want an InvalidURLError", raw, err)
		}
	}
	for _, ok := range []string{"https://brand.example/pb?x=1", "http://127.0.0.1:65535/x", "http://127.0.0.1:1/x", "http://brand.example:/x"} {
		if err := CheckURL(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		p    Postback
		want string
	}{
		{Postback{Event: "action_lifecycl", URL: "x"}, `postback: field event: unknown event "action_lifecycl"`},
		{Postback{Event: "action_cleared", URL: "x", Method: "PUT"}, `postback: field method: "PUT": want GET or POST`},
		{Postback{Event: "action_cleared", URL: "x", Format: "xml"}, `postback: field format: "xml": want json, form or none`},
		{Postback{Event: "action_cleared", URL: "x", Method: "GET", Format: "json"}, `postback: field format: json: a GET sends its data as a query string`},
		{Postback{Event: "action_cleared", URL: " "}, `postback: field url: empty`},
		{Postback{Event: "action_cleared", URL: "https://b/{OrderID}"}, `postback: field url: url:1:11: unknown field "OrderID" (did you mean "OrderIds"?)`},
		{Postback{Event: "action_cleared", URL: "x", Body: "{\n\"a\": {LedgerDate"}, `postback: field body: body:2:17: expected '}' to close the macro {LedgerDate opened at 2:6`},
		{Postback{Event: "action_cleared", URL: "x", Headers: map[string]string{"Bad Name": "v"}}, `postback: field headers: "Bad Name" is not a valid header name`},
		{Postback{Event: "action_cleared", URL: "x", Headers: map[string]string{"X-A": "{Nope}"}}, `postback: field headers: header X-A:1:1: unknown field "Nope"`},
		{Postback{Event: "action_cleared", URL: "x", Format: "none", Body: "x"}, `postback: field body: set, but format is none`},
		{Postback{Event: "action_cleared", URL: "https://b/x", Headers: map[string]string{"X-A": "v\r\nX-Injected: 1"}}, `postback: field headers: header X-A: the value holds a line break (CR or LF) at byte 1`},
		{Postback{Event: "action_cleared", URL: "https://b/x", Headers: map[string]string{"X-A": "{OrderIds}\n"}}, `postback: field headers: header X-A: the value holds a line break`},
		{Postback{Event: "action_cleared", URL: "https://b/x", Headers: map[string]string{"X-A": "a\x00b"}}, `postback: field headers: header X-A: the value holds the control character '\x00'`},
		{Postback{Event: "action_cleared", URL: "https://b/x", Headers: map[string]string{"X-A(": "v"}}, `postback: field headers: "X-A(" is not a valid header name`},
		{Postback{Event: "action_cleared", URL: "file:///etc/passwd"}, `postback: field url: invalid URL "file:///etc/passwd": scheme "file": want http or https`},
		{Postback{Event: "action_cleared", URL: "file:///tmp/{OrderIds}"}, `postback: field url: invalid URL "file:///tmp/{OrderIds}": scheme "file": want http or https`},
		{Postback{Event: "action_cleared", URL: "ftp://b.example/{OrderIds}"}, `postback: field url: invalid URL "ftp://b.example/{OrderIds}": scheme "ftp"`},
		{Postback{Event: "action_cleared", URL: "http://127.0.0.1:99999/x"}, `postback: field url: invalid URL "http://127.0.0.1:99999/x": port "99999"`},
		{Postback{Event: "action_cleared", URL: "https://"}, `postback: field url: invalid URL "https://": no host`},
		{Postback{Event: "action_cleared", URL: "https://b/a b"}, `postback: field url: invalid URL "https://b/a b": a space at 1:12; a URL cannot hold one: write %20`},
		{Postback{Event: "action_cleared", URL: "https://b/x?q={OrderIds} &a=1"}, `postback: field url: invalid URL "https://b/x?q={OrderIds} &a=1": a space at 1:25`},
		{Postback{Event: "action_cleared", URL: "https://b/x\t"}, `postback: field url: invalid URL "https://b/x\t": the control character '\t' at 1:12`},
	}
	for _, c := range cases {
		_, err := Compile(c.p)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v\n got %v\nwant %s…", c.p, err, c.want)
		}
	}
}

// TestURLsCheckedWhenSavedOrRendered: what macros fill in is left to the
// request (a scheme or host from a field is classified invalid_url then).
func TestURLsCheckedWhenSavedOrRendered(t *testing.T) {
	for _, raw := range []string{"https://b/x", "HTTP://b/x", "{LandingPageUrl}", "https://{ReferringDomain}/x", "http://b.example:99999/{ActionId}", "https://b/%zz/{ActionId}"} {
		if _, err := Compile(Postback{Event: "action_lifecycle", URL: raw}); err != nil {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

func TestWrongEventType(t *testing.T) {
	c, _ := Compile(Postback{Event: "action_cleared", URL: "https://b/x"})
	if _, err := c.Render(&fixtures.JobCompleted{}); err == nil {
		t.Fatal("rendered a job_completed through an action_cleared postback")
	}
}

// TestGoldenRequests pins the exact wire form of each event, GET and POST,
// for seed 1 (go test ./mockimpact -run Golden -update rewrites them).
func TestGoldenRequests(t *testing.T) {
	for _, spec := range fixtures.ImpactEvents() {
		for _, method := range []string{"GET", "POST"} {
			c, err := Compile(Postback{Event: spec.Name, URL: "https://brand.example/impact/" + spec.Name + "?src=impact", Method: method,
				Headers: map[string]string{"Authorization": "Bearer token"}})
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := fixtures.NewImpactGen(1, time.Time{}).Event(spec.Name)
			r, _ := c.Render(ev)
			got := r.Wire()
			path := filepath.Join("testdata", "render", spec.Name+"_"+method+".txt")
			if *update {
				os.WriteFile(path, []byte(got), 0o644)
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(string(want), got))
			}
		}
	}
}
