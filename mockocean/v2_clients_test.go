package mockocean_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
)

// The requests below have the shapes two public clients send (field
// names, nesting, types, headers), as docs/platforms.md#ocean-v2
// describes them: the Go SDK (bububa/oceanengine), which always sends
// context.ad.attributed, milliseconds and x-signature; and a Node
// service (nillithzelah/chengguo), which sends names of its own
// (register, pay), a seconds timestamp when it has one, outer_event_id,
// context.device.platform, source inside properties and no signature.

const testSecret = "app-secret-0123"

// sdkBody is the SDK's body for an event: keys in the model's order,
// omitempty fields left out, attributed always there.
func sdkBody(event string) string {
	return `{"event_type":"` + event + `","context":{"ad":{"callback":"EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIAQ==","attributed":false},` +
		`"device":{"imei":"0c2bd03c39f19845bf54ea0abafae70e"}},"properties":{"pay_amount":600,"order_id":"o-1"},"timestamp":1764988800123}`
}

// sign is the SDK's x-signature: lower-case hex of sha256(body + secret).
func sign(body, secret string) string {
	h := sha256.Sum256([]byte(body + secret))
	return hex.EncodeToString(h[:])
}

// chengguoBody is the Node service's body.
func chengguoBody(event, outer string, timestamp string) string {
	return `{"event_type":"` + event + `","context":{"ad":{"callback":"B.cb-1"},"device":{"platform":"android","imei":"0c2bd03c39f19845bf54ea0abafae70e","android_id":"a1b2c3d4e5f60718"}},` +
		`"properties":{"source":"chengguo"},"timestamp":` + timestamp + `,"outer_event_id":"` + outer + `"}`
}

type v2Call struct {
	name    string
	path    string
	body    string
	headers map[string]string
	status  int
	code    int
	detail  string // a part of the journaled detail
	warning string // a part of a journaled warning
}

func postV2(t *testing.T, srv *mockocean.Server, c v2Call) (int, mockocean.V2Answer, string) {
	t.Helper()
	path := c.path
	if path == "" {
		path = mockocean.V2Path
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(c.body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	var a mockocean.V2Answer
	_ = json.Unmarshal(w.Body.Bytes(), &a)
	return w.Code, a, w.Body.String()
}

func checkV2Calls(t *testing.T, srv *mockocean.Server, calls []v2Call) {
	t.Helper()
	for _, c := range calls {
		status, a, body := postV2(t, srv, c)
		want := c.status
		if want == 0 {
			want = http.StatusOK
		}
		if status != want || a.Code != c.code {
			t.Errorf("%s: HTTP %d, %s; want HTTP %d, code %d", c.name, status, body, want, c.code)
			continue
		}
		if status != http.StatusOK {
			continue
		}
		if a.RequestID == "" || (a.Code == 0) != (a.Message == "success") {
			t.Errorf("%s: answer %s; want a request_id, and message success with code 0 only", c.name, body)
		}
		reqs := testtbRequests(t, srv)
		got := reqs[len(reqs)-1]
		if got.API != mockocean.APIV2 || got.RequestID != a.RequestID || got.Code != a.Code || !strings.Contains(got.Detail, c.detail) {
			t.Errorf("%s: journaled %+v; want api v2, request_id %s, code %d, detail with %q", c.name, got, a.RequestID, a.Code, c.detail)
		}
		if c.warning != "" && !strings.Contains(strings.Join(got.Warnings, "\n"), c.warning) {
			t.Errorf("%s: warnings %q; want one with %q", c.name, got.Warnings, c.warning)
		}
	}
}

func testtbRequests(t *testing.T, srv *mockocean.Server) []mockocean.Request {
	t.Helper()
	reqs, err := srv.Requests(t.Context())
	if err != nil || len(reqs) == 0 {
		t.Fatalf("journal: %d requests, %v", len(reqs), err)
	}
	return reqs
}

// TestV2AsTheSDKSendsIt: the Go SDK's requests, signed and not, valid and
// not, get the answers docs/platforms.md gives.
func TestV2AsTheSDKSendsIt(t *testing.T) {
	srv := mockocean.New(mockocean.Config{AppSecret: testSecret})
	good := sdkBody("active_pay")
	checkV2Calls(t, srv, []v2Call{
		{name: "signed active_pay", body: good, headers: map[string]string{"x-signature": sign(good, testSecret)}, code: 0},
		{name: "signature in capitals", body: good, headers: map[string]string{"X-Signature": strings.ToUpper(sign(good, testSecret))}, code: 0},
		{name: "the path with a slash", path: mockocean.V2Path + "/", body: good, headers: map[string]string{"x-signature": sign(good, testSecret)}, code: 0},
		{name: "unsigned", body: good, code: mockocean.V2CodeSignature, detail: "no x-signature"},
		{name: "signed with another secret", body: good, headers: map[string]string{"x-signature": sign(good, "other")}, code: mockocean.V2CodeSignature, detail: "not hex(sha256(body + app secret))"},
		{name: "signature not hex", body: good, headers: map[string]string{"x-signature": "xyz"}, code: mockocean.V2CodeSignature, detail: "not 64 hex digits"},
		{name: "rs256 token instead", body: good, headers: map[string]string{"x-rs256-token": "credential=primary&timestamp=1764988800&signature=c2ln"}, code: 0, warning: "x-rs256-token not checked"},
		{name: "rs256 token with the separator an old SDK mangled", body: good, headers: map[string]string{"x-rs256-token": "credential=primary×tamp=1764988800&signature=c2ln"},
			code: mockocean.V2CodeSignature, detail: "no timestamp"},
		{name: "rs256 token in milliseconds", body: good, headers: map[string]string{"x-rs256-token": "credential=primary&timestamp=1764988800000&signature=c2ln"},
			code: mockocean.V2CodeSignature, detail: "not milliseconds"},
		{name: "rs256 token, unknown credential", body: good, headers: map[string]string{"x-rs256-token": "credential=main&timestamp=1764988800&signature=c2ln"},
			code: mockocean.V2CodeSignature, detail: "want primary or backup"},
		{name: "rs256 token, signature not Base64", body: good, headers: map[string]string{"x-rs256-token": "credential=backup&timestamp=1764988800&signature=c2ln*"},
			code: mockocean.V2CodeSignature, detail: "standard Base64"},
		{name: "no event", body: `{"context":{"ad":{"callback":"cb","attributed":false}},"timestamp":1764988800123}`,
			headers: map[string]string{"x-signature": sign(`{"context":{"ad":{"callback":"cb","attributed":false}},"timestamp":1764988800123}`, testSecret)},
			code:    mockocean.V2CodeEventType, detail: "event_type absent"},
	})
	reqs := testtbRequests(t, srv)
	first := reqs[0]
	c := first.Conversion
	if c == nil || c.API != mockocean.APIV2 || c.EventName != "active_pay" || c.EventType != 2 || c.Callback == "" ||
		c.IMEI != "0c2bd03c39f19845bf54ea0abafae70e" || c.TimestampMS == nil || *c.TimestampMS != 1764988800123 ||
		c.ConvTime == nil || *c.ConvTime != 1764988800 || string(c.Props) != `{"order_id":"o-1","pay_amount":600}` {
		t.Errorf("the SDK's conversion read as %+v", c)
	}
	if first.Signature != sign(good, testSecret) || first.Params["context.ad.attributed"] != "false" {
		t.Errorf("journaled signature %q, params %v", first.Signature, first.Params)
	}
}

// TestV2RS256TokenWithoutASecret: without an app secret a malformed
// x-rs256-token is accepted with a warning naming what is wrong.
func TestV2RS256TokenWithoutASecret(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	checkV2Calls(t, srv, []v2Call{
		{name: "mangled", body: sdkBody("form"), headers: map[string]string{"x-rs256-token": "credential=primary×tamp=1764988800&signature=c2ln"}, warning: "x-rs256-token \"credential=primary×tamp=1764988800&signature=c2ln\": no timestamp"},
	})
	checkV2Calls(t, srv, []v2Call{{name: "well-formed", body: sdkBody("form"), headers: map[string]string{"x-rs256-token": "credential=primary&timestamp=1764988800&signature=c2ln"}}})
	reqs := testtbRequests(t, srv)
	if w := reqs[1].Warnings; len(w) != 0 {
		t.Errorf("a well-formed token without a secret: warnings %q; want none", w)
	}
}

// TestV2AsTheNodeServiceSendsIt: the Node service's names of its own are
// refused with the SDK's name suggested; its seconds timestamps and
// outer_event_ids are read as docs/platforms.md says, in default and
// strict mode.
func TestV2AsTheNodeServiceSendsIt(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	checkV2Calls(t, srv, []v2Call{
		{name: "register", body: chengguoBody("register", "c-1", "1764988800"), code: mockocean.V2CodeEventType, detail: `did you mean "active_register"?`},
		{name: "pay", body: chengguoBody("pay", "c-2", "1764988800000"), code: mockocean.V2CodeEventType, detail: `did you mean "active_pay"?`},
		{name: "active, seconds", body: chengguoBody("active", "c-3", "1764988800"), code: 0, warning: "looks like seconds"},
		{name: "active again", body: chengguoBody("active", "c-3", "1764988800000"), code: mockocean.V2CodeDuplicate, detail: "outer_event_id c-3 was accepted before"},
		{name: "a legacy number", body: `{"event_type":2,"context":{"ad":{"callback":"B.cb-1"}},"timestamp":1764988800000,"outer_event_id":"c-4"}`,
			code: 0, warning: `read as "active_pay"`},
	})
	strict := mockocean.New(mockocean.Config{Strict: true})
	checkV2Calls(t, strict, []v2Call{
		{name: "strict: seconds", body: chengguoBody("active", "s-1", "1764988800"), code: mockocean.V2CodeTimestamp, detail: "looks like seconds"},
		{name: "strict: a legacy number", body: `{"event_type":2,"context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`, code: mockocean.V2CodeEventType, detail: "strict mode"},
		{name: "strict: unknown field", body: `{"event_type":"active","context":{"ad":{"callback":"cb","clickid":"x"}},"timestamp":1764988800000}`,
			code: mockocean.V2CodeInvalidBody, detail: "context.ad.clickid"},
		{name: "strict: ms", body: chengguoBody("active", "s-2", "1764988800000"), code: 0},
	})
}

// TestV2Checks: each check of the catalog answers its code, with a
// detail naming what is wrong.
func TestV2Checks(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	ok := func(extra string) string {
		return `{"event_type":"form","context":{"ad":{"callback":"cb"` + extra + `}},"timestamp":1764988800000}`
	}
	checkV2Calls(t, srv, []v2Call{
		{name: "not JSON", body: `event_type=form`, code: mockocean.V2CodeInvalidBody, detail: "not JSON"},
		{name: "an array", body: `[1]`, code: mockocean.V2CodeInvalidBody, detail: "want a JSON object, got array"},
		{name: "empty", body: ``, code: mockocean.V2CodeInvalidBody, detail: "empty body"},
		{name: "a device id as a number", body: `{"event_type":"form","context":{"ad":{"callback":"cb"},"device":{"idfa":5}}}`, code: mockocean.V2CodeInvalidBody, detail: "context.device.idfa: want a string, got integer"},
		{name: "unknown event", body: `{"event_type":"activ","context":{"ad":{"callback":"cb"}}}`, code: mockocean.V2CodeEventType, detail: `did you mean "active"?`},
		{name: "no callback", body: `{"event_type":"form","context":{"ad":{"clickid":"x"}},"timestamp":1764988800000}`, code: mockocean.V2CodeMissingCallback, detail: "context.ad.clickid is not read"},
		{name: "timestamp a string", body: `{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":"1764988800000"}`, code: mockocean.V2CodeTimestamp, detail: "want an integer, got string"},
		{name: "no timestamp", body: `{"event_type":"form","context":{"ad":{"callback":"cb"}}}`, code: 0, warning: "timestamp absent"},
		{name: "match_type 3", body: ok(`,"match_type":3`), code: mockocean.V2CodeMatchType, detail: "want 0 (click)"},
		{name: "pay_amount a string", body: `{"event_type":"active_pay","context":{"ad":{"callback":"cb"}},"properties":{"pay_amount":"600"},"timestamp":1764988800000}`,
			code: mockocean.V2CodeProperties, detail: "properties.pay_amount"},
		{name: "outer_event_id too long", body: `{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000,"outer_event_id":"` + strings.Repeat("x", 201) + `"}`,
			code: mockocean.V2CodeOuterEventID, detail: "201 characters"},
		{name: "attribute_label", body: `{"event_type":"form","attribute_label":"other","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`, code: 0, warning: "takes only convert"},
		{name: "unknown field", body: `{"event_type":"form","evnet_weight":1,"context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`,
			code: 0, warning: "evnet_weight (did you mean event_weight?)"},
		{name: "a form Content-Type", body: ok(""), headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			code: 0, warning: `Content-Type is "application/x-www-form-urlencoded": read as JSON`},
	})
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		postV2(t, srv, v2Call{body: ok(""), headers: map[string]string{"Content-Type": ct}})
		reqs := testtbRequests(t, srv)
		if w := reqs[len(reqs)-1].Warnings; len(w) != 0 {
			t.Errorf("Content-Type %s: warnings %q; want none", ct, w)
		}
	}
}

// TestV2SharesTheDuplicateFilter: an outer_event_id accepted on either
// API is a duplicate on the other; a debug-mode request neither uses one
// up nor meets the filter.
func TestV2SharesTheDuplicateFilter(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, mockocean.ActivatePath+"?callback=cb&idfa=i&event_type=0&outer_event_id=shared-1", nil))
	if !strings.Contains(w.Body.String(), `"code":0`) {
		t.Fatalf("legacy: %s", w.Body)
	}
	body := `{"event_type":"active","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000,"outer_event_id":"shared-1"}`
	debug := map[string]string{"X-Debug-Mode": "1"}
	checkV2Calls(t, srv, []v2Call{
		{name: "debug, the id the legacy API accepted", body: body, headers: debug, code: 0},
		{name: "the id the legacy API accepted", body: body, code: mockocean.V2CodeDuplicate},
		{name: "debug, a new id", body: strings.Replace(body, "shared-1", "debug-1", 1), headers: debug, code: 0},
		{name: "the id debug mode did not use up", body: strings.Replace(body, "shared-1", "debug-1", 1), code: 0},
	})
	reqs := testtbRequests(t, srv)
	if !reqs[1].Debug || reqs[1].Conversion == nil || !reqs[1].Conversion.Debug {
		t.Errorf("a debug request journaled as %+v", reqs[1])
	}
}

// TestV2WrongPathsAndMethods: a path next to the v2 one and a method it
// does not take answer a non-zero code, which a client that ignores the
// HTTP status reads as a failure.
func TestV2WrongPathsAndMethods(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/api/v2/conversionx"},
		{http.MethodPost, "/api/v1/conversion"},
		{http.MethodGet, mockocean.V2Path},
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(c.method, c.path, strings.NewReader("{}")))
		var a mockocean.V2Answer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Code == 0 || w.Code < 400 || a.Message == "" {
			t.Errorf("%s %s: %d %s; want an HTTP error with a non-zero code and a message", c.method, c.path, w.Code, w.Body)
		}
	}
}

// TestV2FaultRules: a rule can select one API, and match a v2 request's
// fields by path; its code/msg answer has the v2 shape.
func TestV2FaultRules(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	for _, f := range []mockocean.Fault{
		{API: mockocean.APITrack, Status: 503},
		{API: mockocean.APIV2, Match: map[string]string{"event_type": "active_pay"}, Code: 41999, Msg: "busy"},
	} {
		if _, err := srv.InjectFault(t.Context(), f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.InjectFault(t.Context(), mockocean.Fault{API: "v3", Status: 500}); err == nil || !strings.Contains(err.Error(), "field api") {
		t.Errorf("api v3: %v; want an error naming the field", err)
	}
	status, a, body := postV2(t, srv, v2Call{body: `{"event_type":"active_pay","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`})
	if status != http.StatusOK || a.Code != 41999 || a.Message != "busy" || a.RequestID == "" {
		t.Errorf("v2 active_pay: %d %s; want the v2 rule's answer in the v2 shape", status, body)
	}
	if _, a, body := postV2(t, srv, v2Call{body: `{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`}); a.Code != 0 {
		t.Errorf("v2 form: %s; want no rule to match", body)
	}
	f, err := srv.InjectFault(t.Context(), mockocean.Fault{Match: map[string]string{"context.ad.callback": "bad"}, Code: mockocean.V2CodeCallbackInvalid})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mockocean.LookupV2Rule(mockocean.V2CodeCallbackInvalid)
	if _, a, body := postV2(t, srv, v2Call{body: `{"event_type":"form","context":{"ad":{"callback":"bad"}},"timestamp":1764988800000}`}); a.Code != want.Code || a.Message != want.Message || f.Msg != want.Message {
		t.Errorf("a v2 code without a message: %s (rule %+v); want the v2 catalog's message %q", body, f, want.Message)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, mockocean.ActivatePath+"?callback=cb&idfa=i&event_type=2", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("legacy: %d %s; want the track rule's 503", w.Code, w.Body)
	}
}

// TestV2Lint: the report names what a v2 uploader gets wrong.
func TestV2Lint(t *testing.T) {
	srv := mockocean.New(mockocean.Config{AppSecret: testSecret})
	for _, body := range []string{
		chengguoBody("register", "l-1", "1764988800000"),
		`{"event_type":"active","context":{"ad":{}},"timestamp":1764988800000}`,
		sdkBody("active"),
		`{"event_type":"active_pay","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`,                                  // an app event, no device
		`{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`,                                        // a form: none expected
		`{"event_type":"form","context":{"ad":{"callback":"cb"},"device":{"platform":"ios","imei":"x"}},"timestamp":1764988800000}`, // ios without its ids
	} {
		postV2(t, srv, v2Call{body: body, headers: map[string]string{"x-signature": sign(body, testSecret)}})
	}
	secs := chengguoBody("active", "l-2", "1764988800")
	postV2(t, srv, v2Call{body: secs, headers: map[string]string{"x-signature": sign(secs, testSecret)}})
	postV2(t, srv, v2Call{body: sdkBody("form")}) // unsigned
	rep := mockocean.Lint(testtbRequests(t, srv))
	found := map[string]int{}
	for _, f := range rep.Findings {
		found[f.ID] = f.Count
	}
	for id, n := range map[string]int{"v2_unknown_event": 1, "v2_missing_callback": 1, "v2_timestamp_seconds": 1, "v2_bad_signature": 1, "v2_no_device": 1, "v2_platform_device": 1} {
		if found[id] != n {
			t.Errorf("finding %s: %d, want %d (findings %v)", id, found[id], n, found)
		}
	}
	for _, legacyOnly := range []string{"missing_outer_event_id", "event_type_absent"} {
		if found[legacyOnly] != 0 {
			t.Errorf("legacy finding %s on v2 traffic: %d", legacyOnly, found[legacyOnly])
		}
	}
}

// TestV2ExtraEventTypes: an event type agreed with the platform
// (--extra-event-types) is sent to v2 by its name, in both modes, and
// journaled with its number; its number is not a v2 event name.
func TestV2ExtraEventTypes(t *testing.T) {
	extra, err := mockocean.ParseExtraEventTypes("1001=trial_start")
	if err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		srv := mockocean.New(mockocean.Config{Strict: strict, ExtraEventTypes: extra})
		checkV2Calls(t, srv, []v2Call{
			{name: "by name", body: sdkBody("trial_start")},
			{name: "by number", body: sdkBody("1001"), code: mockocean.V2CodeEventType, detail: "no v2 event"},
		})
		reqs := testtbRequests(t, srv)
		if c := reqs[0].Conversion; c == nil || c.EventName != "trial_start" || c.EventType != 1001 {
			t.Errorf("strict=%v: the journaled conversion is %+v; want trial_start, 1001", strict, c)
		}
	}
	if _, a, _ := postV2(t, mockocean.New(mockocean.Config{}), v2Call{body: sdkBody("trial_start")}); a.Code != mockocean.V2CodeEventType {
		t.Errorf("trial_start without --extra-event-types: code %d; want %d", a.Code, mockocean.V2CodeEventType)
	}
}

// TestV2DedupConcurrent: one outer_event_id sent at once on both APIs is
// accepted exactly once.
func TestV2DedupConcurrent(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	const n = 64
	codes := make(chan int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%2 == 0 {
				_, a, _ := postV2(t, srv, v2Call{body: `{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000,"outer_event_id":"same"}`})
				codes <- a.Code
				return
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, mockocean.ActivatePath+"?callback=cb&idfa=i&event_type=3&outer_event_id=same", nil))
			var a mockocean.Answer
			_ = json.Unmarshal(w.Body.Bytes(), &a)
			codes <- a.Code
		}()
	}
	close(start)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[0] != 1 || count[mockocean.CodeDuplicate]+count[mockocean.V2CodeDuplicate] != n-1 {
		t.Fatalf("answers by code: %v; want one 0 and %d duplicates", count, n-1)
	}
}

// TestV2JournalFilters: the journal's filters select by API and by v2
// event name; a legacy number selects the v2 events mapped to it too.
func TestV2JournalFilters(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	postV2(t, srv, v2Call{body: sdkBody("active_pay")})
	postV2(t, srv, v2Call{body: sdkBody("form")})
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, mockocean.ActivatePath+"?callback=cb&idfa=i&event_type=2", nil))
	for query, want := range map[string][]uint64{
		"api=v2":                    {1, 2},
		"api=track":                 {3},
		"event_type=active_pay":     {1},
		"event_type=2":              {1, 3},
		"event_type=2&api=track":    {3},
		"event_type=form&api=v2":    {2},
		"event_type=form&api=track": nil,
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/_admin/ocean/requests?"+query, nil))
		var got struct {
			Requests []mockocean.Request `json:"requests"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", query, w.Code, w.Body)
		}
		var seqs []uint64
		for _, r := range got.Requests {
			seqs = append(seqs, r.Seq)
		}
		if !slices.Equal(seqs, want) {
			t.Errorf("%s: requests %v, want %v", query, seqs, want)
		}
	}
	w = httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/_admin/ocean/requests?api=v3", nil))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "query parameter api") {
		t.Errorf("api=v3: %d %s; want 400 naming the parameter", w.Code, w.Body)
	}
}
