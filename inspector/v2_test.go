package inspector_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// TestV2RequestsInThePages: a v2 conversion as the SDK sends it shows in
// the journal's list (marked v2, its event name) and on its own page,
// and comes down the stream; a click's callback attributes it.
func TestV2RequestsInThePages(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	events, _ := stream(t, srv.URL+"/_admin/stream", nil)
	issuer := srv.Namespace("default").Ocean.Issuer()
	cb := issuer.Issue(mockocean.ClickRef{ClickID: 7, AdID: 1, RequestID: "req", Time: time.Now().Add(-time.Hour)})
	body := `{"event_type":"active_pay","context":{"ad":{"callback":"` + cb + `","attributed":false},"device":{"imei":"0c2bd03c39f19845bf54ea0abafae70e"}},"timestamp":1764988800123}`
	a, err := oceantest.PostV2(srv.URL+mockocean.V2Path, body, http.Header{"X-Signature": {"0123abcd"}})
	if err != nil {
		t.Fatal(err)
	}
	if e := next(t, events); e.name != "ocean" || !strings.Contains(e.data, `"api":"v2"`) || !strings.Contains(e.data, `"request_id"`) {
		t.Fatalf("stream event %+v; want the v2 request", e)
	}
	if _, page := do(t, "GET", srv.URL+"/ocean", nil, nil); !strings.Contains(page, "v2 active_pay") {
		t.Errorf("the journal's list does not show the v2 request:\n%.2000s", page)
	}
	if _, page := do(t, "GET", srv.URL+"/ocean/1", nil, nil); !strings.Contains(page, "/api/v2/conversion") || !strings.Contains(page, "context.ad.callback") ||
		!strings.Contains(page, `{&#34;code&#34;:0,&#34;message&#34;:&#34;success&#34;,&#34;request_id&#34;:&#34;`+a.RequestID) || !strings.Contains(page, "X-Signature") || !strings.Contains(page, "0123abcd") {
		t.Errorf("the request's page does not show the v2 request:\n%.2000s", page)
	}
	reqs, err := srv.Namespace("default").Ocean.Requests(t.Context())
	if err != nil || len(reqs) != 1 || reqs[0].Attribution == nil || !reqs[0].Attribution.Attributed {
		t.Errorf("attribution of the v2 conversion: %+v, %v", reqs, err)
	}
}

// TestV2FaultFormAndCatalog: the page's fault form can aim a rule at one
// API, the rules table says so, and the page lists the v2 catalog.
func TestV2FaultFormAndCatalog(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	form := url.Values{"api": {"v2"}, "match": {"context.ad.callback=bad"}, "code": {"41010"}}
	if resp, body := do(t, "POST", srv.URL+"/_admin/inspector/faults", form, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("fault form: %d\n%s", resp.StatusCode, body)
	}
	faults, err := srv.Namespace("default").Ocean.Faults(t.Context())
	if err != nil || len(faults) != 1 || faults[0].API != mockocean.APIV2 || faults[0].Match["context.ad.callback"] != "bad" {
		t.Fatalf("faults %+v, %v; want one v2 rule", faults, err)
	}
	want, _ := mockocean.LookupV2Rule(mockocean.V2CodeSignature)
	if _, page := do(t, "GET", srv.URL+"/ocean", nil, nil); !strings.Contains(page, "v2 only: context.ad.callback=bad") || !strings.Contains(page, want.Message) {
		t.Errorf("the page does not show the v2 rule and catalog:\n%.3000s", page)
	}
	form.Set("api", "v3")
	resp, _ := do(t, "POST", srv.URL+"/_admin/inspector/faults", form, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("api v3: %d; want a redirect back to the page", resp.StatusCode)
	}
	if _, page := do(t, "GET", srv.URL+resp.Header.Get("Location"), nil, nil); !strings.Contains(page, "field api") {
		t.Errorf("api v3: the page %q leads to has no error naming the field", resp.Header.Get("Location"))
	}
}

// TestRequestsFilterWarned: GET /_admin/ocean/requests?warned=true keeps
// the requests answered with a warning, warned=false the others; another
// value is a 400 naming the parameter.
func TestRequestsFilterWarned(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	get(t, srv.URL+okQuery+"w1&os=ios")
	get(t, srv.URL+okQuery+"c1")
	for q, want := range map[string]string{"true": `"count": 1`, "false": `"count": 1`, "": `"count": 2`} {
		resp, body := do(t, "GET", srv.URL+"/_admin/ocean/requests?warned="+q, nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, want) || q == "true" && !strings.Contains(body, `"warnings"`) || q == "false" && strings.Contains(body, `"warnings"`) {
			t.Errorf("warned=%s: %d %.300s", q, resp.StatusCode, body)
		}
	}
	if resp, body := do(t, "GET", srv.URL+"/_admin/ocean/requests?warned=maybe", nil, nil); resp.StatusCode != 400 || !strings.Contains(body, "warned") {
		t.Errorf("warned=maybe: %d %s", resp.StatusCode, body)
	}
}
