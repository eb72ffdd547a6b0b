package har_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	js "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
)

// harSchema compiles testdata/har-1.2.schema.json, written from the HAR
// 1.2 spec, with formats (date-time, uri) asserted.
func harSchema(t *testing.T) *js.Schema {
	t.Helper()
	f, err := os.Open("testdata/har-1.2.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := js.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := js.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("har.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("har.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// The journal and the deliveries as HAR validate against the HAR 1.2
// schema, with filters applied; an unknown format is a 400 naming har.
func TestHARViews(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Status: 500, Body: "busy", Delay: clock.Duration(time.Second)}, mockimpact.Step{Fault: mockimpact.FaultReset}, mockimpact.Step{Status: 200})
	sb := sandbox.New(sandbox.Config{SummaryEvery: -1, Impact: mockimpact.Options{Clock: vc, Transport: script, Resolver: script}})
	srv := httptest.NewServer(sb)
	defer func() { srv.Close(); sb.Close() }()
	for _, u := range []string{"/track/activate/?callback=c&idfa=i&event_type=2", "/track/activate/?callback=c&os=1"} {
		get(t, srv.URL+u)
	}
	resp, err := http.Post(srv.URL+mockocean.V2Path, "application/json", strings.NewReader(`{"event_type":"active","context":{"ad":{"callback":"c"}},"timestamp":1764988800123}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+mockimpact.AdminPrefix+"/postbacks/action_lifecycle", strings.NewReader(`{"url":"https://brand.example/pb?aid={ActionId}","method":"POST","format":"json"}`))
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, err = http.Post(srv.URL+mockimpact.AdminPrefix+"/events/action_lifecycle", "", nil); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := vc.Settle(); err != nil {
		t.Fatal(err)
	}

	schema := harSchema(t)
	for _, c := range []struct {
		path    string
		entries int
		has     string
	}{
		{mockocean.AdminPrefix + "/requests?format=har", 3, `"text":"{\"code\":40002`},
		{mockocean.AdminPrefix + "/requests?format=har&api=v2", 1, `"url":"http://127.0.0.1`},
		{mockimpact.AdminPrefix + "/deliveries?format=har", 3, `"wait":1000`},
		{mockimpact.AdminPrefix + "/deliveries/d000001?format=har", 3, `"comment":"d000001 attempt 2: network_error`},
	} {
		status, ctype, body := get(t, srv.URL+c.path)
		if status != http.StatusOK || !strings.HasPrefix(ctype, "application/har+json") {
			t.Fatalf("%s: HTTP %d %s: %s", c.path, status, ctype, body)
		}
		doc, err := js.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("%s: not HAR 1.2: %v\n%s", c.path, err, body)
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, body)
		if n := bytes.Count(body, []byte(`"startedDateTime"`)); n != c.entries || !bytes.Contains(compact.Bytes(), []byte(c.has)) {
			t.Errorf("%s: %d entries (want %d), containing %s?\n%s", c.path, n, c.entries, c.has, body)
		}
	}
	// The schema refuses what is not HAR: the test can fail.
	bad, _ := js.UnmarshalJSON(strings.NewReader(`{"log":{"version":"1.2","creator":{"name":"x"},"entries":[]}}`))
	if schema.Validate(bad) == nil {
		t.Error("the schema accepts a creator without a version")
	}
	for _, p := range []string{mockocean.AdminPrefix + "/requests?format=xml", mockimpact.AdminPrefix + "/deliveries?format=xml", mockimpact.AdminPrefix + "/deliveries/d000001?format=xml"} {
		if status, _, body := get(t, srv.URL+p); status != http.StatusBadRequest || !strings.Contains(string(body), `want json (the default) or har`) {
			t.Errorf("%s: HTTP %d %s", p, status, body)
		}
	}
}
