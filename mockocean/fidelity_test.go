package mockocean_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
)

// serve sends one request to s in process and returns the recorder.
func serve(s http.Handler, method, target, ctype, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// lastRequest is the newest journal entry.
func lastRequest(t *testing.T, s *mockocean.Server) mockocean.Request {
	t.Helper()
	reqs := testtb.Must(s.Requests(context.Background()))
	if len(reqs) == 0 {
		t.Fatal("journal is empty")
	}
	return reqs[len(reqs)-1]
}

// TestConvTimeMillisecondsNormalised: a conv_time in milliseconds is read
// as seconds once, so the conversion and its attribution agree.
func TestConvTimeMillisecondsNormalised(t *testing.T) {
	clicked := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	vc := clock.NewVirtual(clicked.Add(time.Hour))
	s := mockocean.New(mockocean.Config{Clock: vc})
	cb := s.Issuer().Issue(mockocean.ClickRef{ClickID: 7, Time: clicked})
	conv := clicked.Add(90 * time.Second)
	q := url.Values{"callback": {cb}, "imei": {"m"}, "event_type": {"0"},
		"conv_time": {strconvI(conv.UnixMilli())}}
	if w := serve(s, "GET", "/track/activate/?"+q.Encode(), "", ""); !strings.Contains(w.Body.String(), `"code":0`) {
		t.Fatalf("answer %s", w.Body)
	}
	r := lastRequest(t, s)
	if r.Conversion == nil || r.Conversion.ConvTime == nil || *r.Conversion.ConvTime != conv.Unix() {
		t.Fatalf("conversion conv_time = %v, want %d", r.Conversion, conv.Unix())
	}
	if r.Attribution == nil || r.Attribution.SinceClick != 90*time.Second {
		t.Fatalf("attribution %+v, want since_click 90s", r.Attribution)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "milliseconds") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }

// TestJSONRepeatedKeyFirstWins: a JSON body's repeated key keeps its first
// value and is noted, as in a query string or a form.
func TestJSONRepeatedKeyFirstWins(t *testing.T) {
	s := mockocean.New(mockocean.Config{})
	for _, c := range []struct{ body, code, note string }{
		{`{"callback":"c","imei":"m","event_type":999,"event_type":2}`, `"code":40005`, `parameter "event_type" repeated 2 times in the JSON body`},
		{`{"callback":"c","imei":"m","event_type":2,"event_type":999,"event_type":7}`, `"code":0`, `parameter "event_type" repeated 3 times in the JSON body`},
	} {
		w := serve(s, "POST", "/track/activate/", "application/json", c.body)
		if !strings.Contains(w.Body.String(), c.code) {
			t.Errorf("%s: answer %s, want %s", c.body, w.Body, c.code)
		}
		r := lastRequest(t, s)
		if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, c.note) }) {
			t.Errorf("%s: notes %q, want %q", c.body, r.Notes, c.note)
		}
	}
}

// TestNotUTF8: bytes that are not UTF-8 are answered 40012 naming the
// parameter; lenient mode accepts them with a warning naming it.
func TestNotUTF8(t *testing.T) {
	cases := []struct{ name, method, ctype, target, body string }{
		{"GET", "GET", "", "/track/activate/?callback=c&imei=m&event_type=0&source=%D6%D0", ""},
		{"form", "POST", "application/x-www-form-urlencoded", "/track/activate/", "callback=c&imei=m&event_type=0&source=%D6%D0"},
		{"JSON raw bytes", "POST", "application/json", "/track/activate/", "{\"callback\":\"c\",\"imei\":\"m\",\"event_type\":0,\"source\":\"\xd6\xd0\"}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mockocean.New(mockocean.Config{Lenient: true})
			if w := serve(s, c.method, c.target, c.ctype, c.body); !strings.Contains(w.Body.String(), `"code":0`) {
				t.Fatalf("lenient mode: %s", w.Body)
			}
			r := lastRequest(t, s)
			if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "lenient not_utf8: not UTF-8: source (value") {
				t.Errorf("lenient mode warnings %q", r.Warnings)
			}
			for _, cfg := range []mockocean.Config{{}, {Strict: true}} {
				w := serve(mockocean.New(cfg), c.method, c.target, c.ctype, c.body)
				if got, want := w.Body.String(), `{"code":40012,"ret":40012,"msg":"params source is invalid"}`; got != want {
					t.Errorf("%+v: %s, want %s", cfg, got, want)
				}
			}
		})
	}
}

// TestPostQueryString: a POST's query string is answered 40010 with a
// detail quoting the document; lenient mode reads it with a warning.
func TestPostQueryString(t *testing.T) {
	const target, body = "/track/activate/?callback=c", "imei=m&event_type=0"
	s := mockocean.New(mockocean.Config{Lenient: true})
	if w := serve(s, "POST", target, "application/x-www-form-urlencoded", body); !strings.Contains(w.Body.String(), `"code":0`) {
		t.Fatalf("lenient mode: %s", w.Body)
	}
	if r := lastRequest(t, s); len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "query string (callback)") {
		t.Errorf("lenient mode warnings %q", r.Warnings)
	}
	def := mockocean.New(mockocean.Config{})
	if w := serve(def, "POST", target, "application/x-www-form-urlencoded", body); !strings.Contains(w.Body.String(), `"code":40010`) {
		t.Fatalf("default mode: %s", w.Body)
	}
	if r := lastRequest(t, def); !strings.Contains(r.Detail, "POST with parameters in the query string (callback); the document: 「POST方式下请求参数需要包含在请求的Body中」") {
		t.Errorf("default mode detail %q", r.Detail)
	}
}

// TestJournalCodeOnlyWhenAnswered: a request answered by an injected HTTP
// status has no code or msg in its journal JSON (code 0 would say
// success); an Ocean answer has both, and the JSON reads back.
func TestJournalCodeOnlyWhenAnswered(t *testing.T) {
	s := mockocean.New(mockocean.Config{})
	if _, err := s.InjectFault(context.Background(), mockocean.Fault{Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	const q = "/track/activate/?callback=c&imei=m&event_type=0"
	if w := serve(s, "GET", q, "", ""); w.Code != 503 {
		t.Fatalf("fault: %d", w.Code)
	}
	serve(s, "GET", q, "", "")
	reqs := testtb.Must(s.Requests(context.Background()))
	faulted, err := json.Marshal(reqs[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(faulted), `"code"`) || strings.Contains(string(faulted), `"msg"`) || !strings.Contains(string(faulted), `"status":503`) {
		t.Errorf("faulted entry %s: want status 503 and no code or msg", faulted)
	}
	answered, _ := json.Marshal(reqs[1])
	if !strings.Contains(string(answered), `"code":0,"msg":"success"`) {
		t.Errorf("answered entry %s: want code 0 and msg success", answered)
	}
	for i, b := range [][]byte{faulted, answered} {
		var back mockocean.Request
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Answered != reqs[i].Answered || back.Code != reqs[i].Code || back.Msg != reqs[i].Msg || back.Status != reqs[i].Status {
			t.Errorf("entry %d read back as %+v", i, back)
		}
	}
}

// TestDedupSlowPost replays the report: --dedup-ttl 3s --dedup-capacity 3,
// a slow form POST with id A, then B, then A again after 3.2 s, C, D and
// A at 3.35 s. An id is remembered from when it is stored, so both late
// A's are duplicates. The virtual clock moves only when the test says.
func TestDedupSlowPost(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	vc := clock.NewVirtual(start)
	s := mockocean.New(mockocean.Config{Clock: vc, DedupTTL: 3 * time.Second, DedupCapacity: 3})
	send := func(id string) string {
		return serve(s, "GET", "/track/activate/?callback=c&imei=m&event_type=0&outer_event_id="+id, "", "").Body.String()
	}
	pr, pw := io.Pipe()
	done := make(chan string)
	go func() {
		r := httptest.NewRequest("POST", "/track/activate/", pr)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		done <- w.Body.String()
	}()
	// The handler has arrived (and read part of the body) once this
	// write returns: an io.Pipe write waits for the reader.
	if _, err := pw.Write([]byte("callback=c&imei=m&")); err != nil {
		t.Fatal(err)
	}
	vc.Advance(time.Second)
	if got := send("B"); !strings.Contains(got, `"code":0`) {
		t.Fatalf("B: %s", got)
	}
	vc.Advance(500 * time.Millisecond) // A's body completes at 1.5 s
	_, _ = pw.Write([]byte("event_type=0&outer_event_id=A"))
	pw.Close()
	if got := <-done; !strings.Contains(got, `"code":0`) {
		t.Fatalf("slow A: %s", got)
	}
	for _, step := range []struct {
		at   time.Duration
		id   string
		code string
	}{
		{3200 * time.Millisecond, "A", `"code":40004`},
		{3300 * time.Millisecond, "C", `"code":0`},
		{3300 * time.Millisecond, "D", `"code":0`},
		{3350 * time.Millisecond, "A", `"code":40004`},
	} {
		vc.AdvanceTo(start.Add(step.at))
		if got := send(step.id); !strings.Contains(got, step.code) {
			t.Errorf("%s at %v: %s, want %s", step.id, step.at, got, step.code)
		}
	}
}

// TestExtOuterEventID: the public Go SDK sends {"ext":{"outer_event_id":…}};
// lenient mode reads it (with a warning) and filters the repeat; default
// mode keeps to the document, does not, and notes why.
func TestExtOuterEventID(t *testing.T) {
	const body = `{"callback":"c","imei":"m","event_type":2,"ext":{"outer_event_id":"order-1","match_type":1}}`
	s := mockocean.New(mockocean.Config{Lenient: true})
	for i, want := range []string{`"code":0`, `"code":40004`} {
		if got := serve(s, "POST", "/track/activate/", "application/json", body).Body.String(); !strings.Contains(got, want) {
			t.Fatalf("lenient mode, request %d: %s, want %s", i+1, got, want)
		}
	}
	r := testtb.Must(s.Requests(context.Background()))[0]
	if r.Conversion == nil || r.Conversion.OuterEventID != "order-1" || r.Conversion.MatchType == nil || *r.Conversion.MatchType != 1 {
		t.Errorf("conversion %+v", r.Conversion)
	}
	if len(r.Warnings) != 2 || !strings.Contains(r.Warnings[1], "outer_event_id read from the ext object") {
		t.Errorf("warnings %q", r.Warnings)
	}
	if _, ok := r.Params["outer_event_id"]; ok {
		t.Errorf("params as received gained outer_event_id: %v", r.Params)
	}
	// The top-level parameter wins over ext.
	top := `{"callback":"c","imei":"m","event_type":2,"outer_event_id":"top","ext":{"outer_event_id":"order-1"}}`
	if got := serve(s, "POST", "/track/activate/", "application/json", top).Body.String(); !strings.Contains(got, `"code":0`) {
		t.Errorf("top-level id: %s", got)
	}
	for _, cfg := range []mockocean.Config{{}, {Strict: true}} {
		s := mockocean.New(cfg)
		for i := range 2 {
			if got := serve(s, "POST", "/track/activate/", "application/json", body).Body.String(); !strings.Contains(got, `"code":0`) {
				t.Fatalf("%+v, request %d: %s", cfg, i+1, got)
			}
		}
		r := lastRequest(t, s)
		if r.Conversion.OuterEventID != "" || len(r.Warnings) != 0 {
			t.Errorf("%+v read ext: %+v %q", cfg, r.Conversion, r.Warnings)
		}
		if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "the ext object holds match_type, outer_event_id") || !strings.Contains(r.Notes[0], "--lenient") {
			t.Errorf("%+v notes %q", cfg, r.Notes)
		}
	}
}

// TestHTTPHygiene: 405 names the allowed methods; CORS preflights and
// answers follow Config.CORSOrigins.
func TestHTTPHygiene(t *testing.T) {
	req := func(s http.Handler, method, origin string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/track/activate/?link=https%3A%2F%2Fbrand.example%2Flp&event_type=3&os=0&muid=m", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	def := mockocean.New(mockocean.Config{})
	if w := req(def, "PUT", ""); w.Code != 405 || w.Header().Get("Allow") != "GET, POST" {
		t.Errorf("PUT: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
	w := req(def, "OPTIONS", "https://brand.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" ||
		w.Header().Get("Access-Control-Allow-Methods") != "GET, POST" || w.Header().Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	if w := req(def, "GET", "https://brand.example"); w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Body.String(), `"code":0`) {
		t.Errorf("GET from a page: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if n := len(testtb.Must(def.Requests(context.Background()))); n != 1 {
		t.Errorf("journal has %d requests; a preflight or a 405 is not a conversion request", n)
	}

	list := mockocean.New(mockocean.Config{CORSOrigins: []string{"https://brand.example", "http://localhost:3000"}})
	if w := req(list, "GET", "http://localhost:3000"); w.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" || w.Header().Get("Vary") != "Origin" {
		t.Errorf("listed origin: %v", w.Header())
	}
	if w := req(list, "GET", "https://evil.example"); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin allowed: %v", w.Header())
	}
	if w := req(list, "OPTIONS", "https://evil.example", "Access-Control-Request-Method", "POST"); w.Code != 403 || !strings.Contains(w.Body.String(), "https://evil.example") {
		t.Errorf("unlisted preflight: %d %s", w.Code, w.Body)
	}

	off := mockocean.New(mockocean.Config{CORSOrigins: []string{mockocean.CORSNone}})
	if w := req(off, "OPTIONS", "https://brand.example"); w.Code != 405 || w.Header().Get("Allow") != "GET, POST" {
		t.Errorf("CORS off, OPTIONS: %d %v", w.Code, w.Header())
	}
	if w := req(off, "GET", "https://brand.example"); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off, GET: %v", w.Header())
	}
}

func TestParseCORSOrigins(t *testing.T) {
	for in, want := range map[string]string{
		"*": "[*]", "none": "[none]", "https://a.example, http://localhost:3000": "[https://a.example http://localhost:3000]",
	} {
		got, err := mockocean.ParseCORSOrigins(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("%q: %v %v, want %s", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":                             "empty",
		"https://a.example,a.example":  `entry 2 "a.example": want an origin`,
		"https://a.example/path":       `entry 1 "https://a.example/path": an origin is scheme://host[:port], without path`,
		"https://a.example,*":          `entry 2 "*": * stands alone`,
		"https://a.example,,https://b": `entry 2 "": empty origin`,
	} {
		if _, err := mockocean.ParseCORSOrigins(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

// TestExtraEventTypes: event types agreed with the platform are accepted
// in both modes and named in the journal; others still answer 40005.
func TestExtraEventTypes(t *testing.T) {
	extra, err := mockocean.ParseExtraEventTypes("1001=trial_start, 1002=plan_upgrade")
	if err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		s := mockocean.New(mockocean.Config{Strict: strict, ExtraEventTypes: extra})
		if got := serve(s, "GET", "/track/activate/?callback=c&imei=m&event_type=1002", "", "").Body.String(); !strings.Contains(got, `"code":0`) {
			t.Fatalf("strict=%v: 1002: %s", strict, got)
		}
		if c := lastRequest(t, s).Conversion; c == nil || c.EventType != 1002 || c.EventName != "plan_upgrade" {
			t.Errorf("strict=%v: conversion %+v", strict, c)
		}
		if got := serve(s, "GET", "/track/activate/?callback=c&imei=m&event_type=1003", "", "").Body.String(); !strings.Contains(got, `"code":40005`) {
			t.Errorf("strict=%v: 1003: %s", strict, got)
		}
	}
	if got := serve(mockocean.New(mockocean.Config{}), "GET", "/track/activate/?callback=c&imei=m&event_type=1001", "", "").Body.String(); !strings.Contains(got, `"code":40005`) {
		t.Errorf("without extra types, 1001: %s", got)
	}
}

func TestParseExtraEventTypesErrors(t *testing.T) {
	for in, want := range map[string]string{
		"1001":                     `entry 1 "1001": want VALUE=NAME`,
		"1001=a,x=b":               `entry 2 "x=b": value "x" is not a non-negative integer`,
		"1001=a,-5=b":              `entry 2 "-5=b": value "-5"`,
		"1001=":                    "entry 1 (1001=): the name is empty",
		"1001=a,2=pay":             "entry 2 (2=pay): 2 is a documented event type (付费 payment)",
		"1001=a,1002=b,1001=c":     "entry 3 (1001=c): value 1001 is already entry 1",
		"1001=a,1002=a":            "entry 2 (1002=a): the name a is already entry 1's",
		"1001=active_pay":          "entry 1 (1001=active_pay): active_pay is a v2 event name",
		"99999999999999999999=big": `value "99999999999999999999" is not`,
	} {
		if _, err := mockocean.ParseExtraEventTypes(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "documented event type") {
			t.Errorf("New with a clashing extra type: panic %v", r)
		}
	}()
	mockocean.New(mockocean.Config{ExtraEventTypes: []mockocean.EventType{{Value: 3, Name: "lead"}}})
}
