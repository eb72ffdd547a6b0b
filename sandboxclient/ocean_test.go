package sandboxclient_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

const imei = "0c2bd03c39f19845bf54ea0abafae70e"

// seqs are the Seq of the requests of j.
func seqs(j sandboxclient.OceanJournal) []uint64 {
	out := []uint64{}
	for _, r := range j.Requests {
		out = append(out, r.Seq)
	}
	return out
}

// Every filter of the Ocean journal reaches the server and selects what
// it says.
func TestOceanRequestsFilters(t *testing.T) {
	base, c := start(t, sandbox.Config{})
	ctx := t.Context()
	if _, err := c.AddFault(ctx, mockocean.Fault{ID: "boom", Match: map[string]string{"outer_event_id": "e4"}, Status: 503}); err != nil {
		t.Fatal(err)
	}
	act := base + "/track/activate/?imei=" + imei
	get(t, act+"&callback=cb&event_type=0&outer_event_id=e1")                         // 1: accepted
	get(t, act+"&event_type=0&outer_event_id=e2")                                     // 2: 40001, no callback
	get(t, act+"&callback=cb&event_type=2&outer_event_id=e3")                         // 3: accepted, event 2
	get(t, act+"&callback=cb&event_type=2&outer_event_id=e4")                         // 4: the fault's 503
	get(t, act+"&callback=cb&event_type=0&outer_event_id=e5&conv_time=1700000000000") // 5: warned, milliseconds
	v2 := `{"event_type":"active_pay","context":{"ad":{"callback":"cb"}},"timestamp":1700000000000}`
	resp, err := http.Post(base+"/api/v2/conversion", "application/json", strings.NewReader(v2)) // 6: v2
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	all, err := c.OceanRequests(ctx, sandboxclient.OceanFilter{})
	if err != nil || all.Count != 6 || all.Stats.Received != 6 || len(all.Requests) != 6 {
		t.Fatalf("the whole journal: %+v, %v", all, err)
	}
	if !all.Requests[4].Answered || len(all.Requests[4].Warnings) == 0 {
		t.Fatalf("request 5 has no warning: %+v", all.Requests[4])
	}
	for _, tc := range []struct {
		name string
		f    sandboxclient.OceanFilter
		want []uint64
	}{
		{"code 0", sandboxclient.OceanFilter{Code: new(0), API: mockocean.APITrack}, []uint64{1, 3, 5}},
		{"code 40001", sandboxclient.OceanFilter{Code: new(40001)}, []uint64{2}},
		{"event_type 2 (active_pay in v2)", sandboxclient.OceanFilter{EventType: new(2)}, []uint64{3, 4, 6}},
		{"event name", sandboxclient.OceanFilter{EventName: "active_pay"}, []uint64{6}},
		{"api v2", sandboxclient.OceanFilter{API: mockocean.APIV2}, []uint64{6}},
		{"fault", sandboxclient.OceanFilter{Fault: "boom"}, []uint64{4}},
		{"warned", sandboxclient.OceanFilter{Warned: new(true)}, []uint64{5}},
		{"not warned", sandboxclient.OceanFilter{Warned: new(false), API: mockocean.APITrack}, []uint64{1, 2, 3, 4}},
		{"limit", sandboxclient.OceanFilter{Limit: 2}, []uint64{5, 6}},
		{"since", sandboxclient.OceanFilter{Since: 4}, []uint64{5, 6}},
		{"since and limit", sandboxclient.OceanFilter{Since: 1, Limit: 1, API: mockocean.APITrack}, []uint64{5}},
	} {
		j, err := c.OceanRequests(ctx, tc.f)
		if err != nil || !reflect.DeepEqual(seqs(j), tc.want) || j.Count != len(tc.want) {
			t.Errorf("%s: %v (count %d), %v; want %v", tc.name, seqs(j), j.Count, err, tc.want)
		}
	}
	if _, err := c.OceanRequests(ctx, sandboxclient.OceanFilter{EventType: new(2), EventName: "active_pay"}); err == nil {
		t.Error("EventType and EventName together: no error")
	}
	_, err = c.OceanRequests(ctx, sandboxclient.OceanFilter{Limit: -1})
	asError(t, err, http.StatusBadRequest)

	if err := c.ClearOceanRequests(ctx); err != nil {
		t.Fatal(err)
	}
	if j, err := c.OceanRequests(ctx, sandboxclient.OceanFilter{}); err != nil || j.Count != 0 || j.Stats.Received != 0 {
		t.Errorf("after ClearOceanRequests: %+v, %v", j, err)
	}
}

// The filter the client sends is the filter the server reads back, for
// every field: a field added to mockocean.RequestFilter and not sent
// fails here.
func TestOceanFilterRoundTrip(t *testing.T) {
	var got mockocean.RequestFilter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if got, err = mockocean.ParseRequestFilter(r.URL.Query()); err != nil {
			t.Error(err)
		}
		w.Write([]byte(`{"count":0,"requests":[]}`))
	}))
	t.Cleanup(srv.Close)
	c, _ := sandboxclient.New(srv.URL)
	for _, f := range []sandboxclient.OceanFilter{
		{Code: new(0), EventType: new(3), API: mockocean.APITrack, Fault: "f1", Warned: new(false), Limit: 7, Since: 9},
		{Code: new(40001), EventName: "active_pay", API: mockocean.APIV2, Fault: "f2", Warned: new(true), Limit: 1, Since: 1},
	} {
		if _, err := c.OceanRequests(t.Context(), f); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, f) {
			t.Errorf("sent %+v, the server read %+v", f, got)
		}
	}
	// Each field is set in one of the filters above.
	typ := reflect.TypeFor[mockocean.RequestFilter]()
	want := map[string]bool{"Code": true, "EventType": true, "EventName": true, "API": true, "Fault": true, "Warned": true, "Limit": true, "Since": true}
	for i := range typ.NumField() {
		if !want[typ.Field(i).Name] {
			t.Errorf("mockocean.RequestFilter has a field %s the client does not send", typ.Field(i).Name)
		}
	}
}

func TestConversionsFaultsDedup(t *testing.T) {
	base, c := start(t, sandbox.Config{})
	ctx := t.Context()
	act := base + "/track/activate/?imei=" + imei + "&callback=cb&event_type=0&outer_event_id="

	f, err := c.AddFault(ctx, mockocean.Fault{Code: 50000, Times: 1})
	if err != nil || f.ID == "" || f.Code != 50000 {
		t.Fatalf("AddFault: %+v, %v", f, err)
	}
	if _, err := c.AddFault(ctx, mockocean.Fault{ID: "slow", Delay: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AddFault(ctx, mockocean.Fault{Status: 503, Drop: true})
	if e := asError(t, err, http.StatusBadRequest); !strings.Contains(e.Message, "only one of") || !strings.Contains(e.Error(), "HTTP 400 Bad Request: fault: set only one of") {
		t.Errorf("a bad rule: %v", e)
	}
	get(t, act+"a") // the fault's 50000
	faults, err := c.Faults(ctx)
	if err != nil || len(faults) != 2 || faults[0].ID != f.ID || faults[0].Hits != 1 || faults[1].ID != "slow" {
		t.Fatalf("Faults: %+v, %v", faults, err)
	}
	if err := c.RemoveFault(ctx, "slow"); err != nil {
		t.Fatal(err)
	}
	asError(t, c.RemoveFault(ctx, "slow"), http.StatusNotFound)
	asError(t, c.RemoveFault(ctx, "a/b"), http.StatusNotFound) // escaped: one segment
	if err := c.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	if faults, err := c.Faults(ctx); err != nil || len(faults) != 0 {
		t.Fatalf("after ClearFaults: %+v, %v", faults, err)
	}

	get(t, act+"b")
	get(t, act+"b") // a duplicate: 40004
	conv, err := c.Conversions(ctx)
	if err != nil || len(conv) != 1 || conv[0].Callback != "cb" || conv[0].OuterEventID != "b" {
		t.Fatalf("Conversions: %+v, %v", conv, err)
	}
	st, err := c.Dedup(ctx)
	if err != nil || st.Size != 1 || st.Capacity == 0 {
		t.Fatalf("Dedup: %+v, %v", st, err)
	}
	if err := c.ClearDedup(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Dedup(ctx); err != nil || st.Size != 0 {
		t.Fatalf("after ClearDedup: %+v, %v", st, err)
	}
	get(t, act+"b") // no longer a duplicate
	if j, err := c.OceanRequests(ctx, sandboxclient.OceanFilter{Code: new(0)}); err != nil || j.Count != 2 {
		t.Errorf("accepted after ClearDedup: %d, %v", j.Count, err)
	}
}

func TestReport(t *testing.T) {
	base, c := start(t, sandbox.Config{})
	ctx := t.Context()
	act := base + "/track/activate/?imei=" + imei + "&callback=cb&os=1&event_type=2&outer_event_id=e1"
	get(t, act)
	get(t, act) // a duplicate
	rep, err := c.Report(ctx, sandboxclient.ReportOptions{})
	if err != nil || rep.Requests != 2 || len(rep.Findings) == 0 || rep.Findings[0].ID != "duplicate_outer_event_id" {
		t.Fatalf("Report: %+v, %v", rep, err)
	}
	if rep, err := c.Report(ctx, sandboxclient.ReportOptions{Since: time.Now().Add(time.Hour)}); err != nil || rep.Requests != 0 || rep.Since == nil {
		t.Errorf("Report since an hour ahead: %+v, %v", rep, err)
	}
	if rep, err := c.Report(ctx, sandboxclient.ReportOptions{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)}); err != nil || rep.Requests != 2 {
		t.Errorf("Report in a window: %+v, %v", rep, err)
	}
	if _, err := c.Report(ctx, sandboxclient.ReportOptions{Format: "html"}); err == nil {
		t.Error("Report in html: no error")
	}
	for format, want := range map[string]string{"": `"requests": 2`, "json": `"requests": 2`, "text": "2 requests", "html": "<html", "junit": "<?xml"} {
		b, err := c.ReportRaw(ctx, sandboxclient.ReportOptions{Format: format})
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("ReportRaw %q: %v\n%.300s", format, err, b)
		}
	}
	junit := func(failOn string) int {
		b, err := c.ReportRaw(ctx, sandboxclient.ReportOptions{Format: "junit", FailOn: failOn})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(b), "<failure ")
	}
	if junit("info") < junit("never") || junit("never") != 0 {
		t.Errorf("fail_on: info %d failures, never %d", junit("info"), junit("never"))
	}
	_, err = c.ReportRaw(ctx, sandboxclient.ReportOptions{Format: "pdf"})
	if e := asError(t, err, http.StatusBadRequest); !strings.Contains(e.Message, "format") {
		t.Errorf("pdf: %v", e)
	}
}

func TestCatalogMacrosClicks(t *testing.T) {
	base, c := start(t, sandbox.Config{})
	ctx := t.Context()
	cat, err := c.Catalog(ctx)
	if err != nil || len(cat.Codes) == 0 || len(cat.EventTypes) == 0 || len(cat.Params) == 0 {
		t.Fatalf("Catalog: %d codes, %d event types, %d params, %v", len(cat.Codes), len(cat.EventTypes), len(cat.Params), err)
	}
	macros, err := c.MonitorMacros(ctx)
	if err != nil || len(macros) == 0 {
		t.Fatalf("MonitorMacros: %v, %v", macros, err)
	}
	var hits atomic.Int32
	adv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cb") != "" {
			hits.Add(1)
		}
	}))
	t.Cleanup(adv.Close)
	res, err := c.SendClicks(ctx, mockocean.ClickOptions{MonitorURL: adv.URL + "/click?cb=__CALLBACK_PARAM__", Count: 3, Seed: 7})
	if err != nil || res.Report.Sent != 3 || res.Report.ByStatus[200] != 3 || res.Summary == "" || hits.Load() != 3 {
		t.Fatalf("SendClicks: %+v, %v (%d hits)", res, err, hits.Load())
	}
	clicks, err := c.Clicks(ctx)
	if err != nil || len(clicks) != 3 || clicks[0].Callback == "" || clicks[0].Status != 200 {
		t.Fatalf("Clicks: %+v, %v", clicks, err)
	}
	// The conversion back from a click is attributed to it.
	get(t, base+"/track/activate/?imei="+imei+"&event_type=0&callback="+clicks[0].Callback)
	if j, err := c.OceanRequests(ctx, sandboxclient.OceanFilter{}); err != nil || j.Count != 1 || j.Requests[0].Attribution == nil {
		t.Errorf("an attributed conversion: %+v, %v", j, err)
	}
	_, err = c.SendClicks(ctx, mockocean.ClickOptions{MonitorURL: adv.URL, Count: mockocean.MaxAdminClicks + 1})
	asError(t, err, http.StatusBadRequest)
}
