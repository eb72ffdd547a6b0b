package inspector_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockocean"
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
	resp, err := http.Post(srv.URL+mockocean.V2Path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if e := next(t, events); e.name != "ocean" || !strings.Contains(e.data, `"api":"v2"`) || !strings.Contains(e.data, `"request_id"`) {
		t.Fatalf("stream event %+v; want the v2 request", e)
	}
	if _, page := do(t, "GET", srv.URL+"/ocean", nil, nil); !strings.Contains(page, "v2 active_pay") {
		t.Errorf("the journal's list does not show the v2 request:\n%.2000s", page)
	}
	if _, page := do(t, "GET", srv.URL+"/ocean/1", nil, nil); !strings.Contains(page, "/api/v2/conversion") || !strings.Contains(page, "context.ad.callback") {
		t.Errorf("the request's page does not show the v2 request:\n%.2000s", page)
	}
	reqs, err := srv.Namespace("default").Ocean.Requests(t.Context())
	if err != nil || len(reqs) != 1 || reqs[0].Attribution == nil || !reqs[0].Attribution.Attributed {
		t.Errorf("attribution of the v2 conversion: %+v, %v", reqs, err)
	}
}
