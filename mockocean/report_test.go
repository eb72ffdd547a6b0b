package mockocean_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

// lintServer is an oceantest server on a virtual clock, so request times
// (and the fast-retry threshold) are exact.
type lintServer struct {
	*oceantest.Server
	t  *testing.T
	vc *clock.Virtual
	cb string // a callback the server issued
}

func newLintServer(t *testing.T) *lintServer {
	vc := clock.NewVirtual(time.Time{})
	srv := oceantest.NewServer(t, func(c *mockocean.Config) { c.Clock = vc })
	cb := srv.Issuer().Issue(mockocean.ClickRef{ClickID: 7, AdID: 1, RequestID: "req", Time: vc.Now().Add(-time.Hour)})
	return &lintServer{Server: srv, t: t, vc: vc, cb: cb}
}

// get sends one GET /track/activate/ with params, then lets gap pass.
func (s *lintServer) get(params map[string]string, gap time.Duration) {
	s.t.Helper()
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	resp, err := s.Client().Get(s.ActivateURL + "?" + q.Encode())
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	s.vc.Advance(gap)
}

// post sends one POST /track/activate/ with body, then lets gap pass.
func (s *lintServer) post(contentType, body string, gap time.Duration) {
	s.t.Helper()
	resp, err := s.Client().Post(s.ActivateURL, contentType, strings.NewReader(body))
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	s.vc.Advance(gap)
}

// good is a conversion with nothing to say about it: attributed, with an
// outer_event_id, device info agreeing with os, conv_time in seconds.
func (s *lintServer) good(id string) map[string]string {
	return map[string]string{
		"callback": s.cb, "idfa": "FCD369C3-F622-44B8-AFDE-12065659F34B", "os": "1", "event_type": "2",
		"conv_time": strconv.FormatInt(s.vc.Now().Unix(), 10), "outer_event_id": id,
	}
}

func with(p map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range p {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func findingIDs(rep mockocean.TrafficReport) []string {
	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestLintClean(t *testing.T) {
	s := newLintServer(t)
	for i := range 5 {
		s.get(s.good(fmt.Sprint("evt-", i)), 2*time.Second)
	}
	// A retry after a 503, two seconds later, is what an uploader should do.
	s.InjectFault(mockocean.Fault{Status: http.StatusServiceUnavailable, Times: 1})
	s.get(s.good("evt-retry"), 2*time.Second)
	s.get(s.good("evt-retry"), 0)
	rep := mockocean.Lint(s.Requests())
	if rep.Requests != 7 || len(rep.Findings) != 0 {
		t.Fatalf("%d requests, findings %+v", rep.Requests, rep.Findings)
	}
	if len(rep.EventTypes) != 1 || rep.EventTypes[0].EventType != "2" || rep.EventTypes[0].Count != 7 {
		t.Errorf("event types %+v", rep.EventTypes)
	}
	want := []mockocean.CodeCount{{Status: 200, Code: 0, Msg: "success", Count: 6}, {Status: 503, Count: 1}}
	if fmt.Sprint(rep.Codes) != fmt.Sprint(want) {
		t.Errorf("codes %+v, want %+v", rep.Codes, want)
	}
}

// TestLintRetryByIdentity: a conversion resent after a final error is
// found by its outer_event_id (or callback and event type without one),
// even when the uploader changed other fields (conv_time); a corrected
// resend is not a finding.
func TestLintRetryByIdentity(t *testing.T) {
	s := newLintServer(t)
	noDevice := with(s.good("same"), "idfa", "", "os", "")
	s.get(noDevice, time.Minute)                                                              // 40002
	s.get(with(noDevice, "conv_time", strconv.FormatInt(s.vc.Now().Unix(), 10)), time.Minute) // 40002 again: a retry
	s.get(s.good("same"), time.Minute)                                                        // corrected: accepted
	noID := with(s.good(""), "outer_event_id", "", "idfa", "", "os", "")
	s.get(noID, time.Minute)
	s.get(with(noID, "conv_time", strconv.FormatInt(s.vc.Now().Unix(), 10)), time.Minute) // same callback and event type
	rep := mockocean.Lint(s.Requests())
	for _, f := range rep.Findings {
		if f.ID == "retry_after_final_error" {
			if f.Count != 2 || !slices.Equal(f.Seqs, []uint64{2, 5}) {
				t.Errorf("retry_after_final_error: count %d, seqs %v; want requests 2 and 5", f.Count, f.Seqs)
			}
			return
		}
	}
	t.Fatalf("no retry_after_final_error in %v\n%s", findingIDs(rep), journal(s.Requests()))
}

// TestLintFindings sends, for each finding, traffic that shows it (and
// only it, on top of a clean baseline) and checks count and examples.
func TestLintFindings(t *testing.T) {
	cases := []struct {
		id   string
		send func(s *lintServer)
		// count is how many requests show the finding.
		count int
	}{
		{"duplicate_outer_event_id", func(s *lintServer) {
			s.get(s.good("dup"), time.Minute)
			s.get(s.good("dup"), time.Minute)
			s.get(s.good("dup"), time.Minute)
		}, 2},
		{"missing_outer_event_id", func(s *lintServer) {
			s.get(with(s.good(""), "outer_event_id", ""), time.Second)
			s.get(with(s.good(""), "outer_event_id", "", "conv_time", strconv.FormatInt(s.vc.Now().Unix()+1, 10)), time.Second)
		}, 2},
		{"retry_after_final_error", func(s *lintServer) {
			bad := with(s.good("x1"), "match_type", "9") // 40008
			s.get(bad, time.Minute)
			s.get(bad, time.Minute)
			s.get(bad, time.Minute)
		}, 2},
		{"fast_retry_after_5xx", func(s *lintServer) {
			s.InjectFault(mockocean.Fault{Status: 502, Times: 2})
			p := s.good("r1")
			s.get(p, 200*time.Millisecond)
			s.get(p, 999*time.Millisecond)
			s.get(p, 0) // accepted
		}, 2},
		{"conv_time_milliseconds", func(s *lintServer) {
			s.get(with(s.good("ms"), "conv_time", strconv.FormatInt(s.vc.Now().UnixMilli(), 10)), time.Second)
		}, 1},
		{"conv_time_future", func(s *lintServer) {
			s.get(with(s.good("fut"), "conv_time", strconv.FormatInt(s.vc.Now().Add(time.Hour).Unix(), 10)), time.Second)
			s.get(with(s.good("near"), "conv_time", strconv.FormatInt(s.vc.Now().Add(time.Minute).Unix(), 10)), time.Second)
		}, 1},
		{"device_rule", func(s *lintServer) {
			s.get(with(s.good("d1"), "idfa", "", "os", ""), time.Second)
			s.get(with(s.good("d2"), "idfa", "", "caid1", "f949f306494646edfee1f939698e1fb1"), time.Second)
		}, 2},
		{"os_mismatch", func(s *lintServer) {
			s.get(with(s.good("o1"), "os", "0"), time.Second)
			s.get(with(s.good("o2"), "idfa", "", "imei", "0c2bd03c39f19845bf54ea0abafae70e", "os", "1"), time.Second)
			s.get(with(s.good("o3"), "idfa", "", "imei", "0c2bd03c39f19845bf54ea0abafae70e", "os", "0"), time.Second)
		}, 2},
		{"unattributed_callback", func(s *lintServer) {
			s.get(with(s.good("u1"), "callback", "hand-written"), time.Second)
			s.get(with(s.good("u2"), "callback", "", "link", "https://adv.example/landing"), time.Second)
		}, 1},
		{"event_type_absent", func(s *lintServer) {
			s.get(with(s.good("e1"), "event_type", ""), time.Second)
		}, 1},
		{"malformed_body", func(s *lintServer) {
			s.post("application/json", `{"callback":"c",`, time.Second)
			s.post("application/json", `[{"callback":"c"}]`, time.Second)
		}, 2},
		{"rejected_40001", func(s *lintServer) {
			s.get(with(s.good("c1"), "callback", ""), time.Second)
		}, 1},
		{"rejected_40005", func(s *lintServer) {
			s.get(with(s.good("t1"), "event_type", "999"), time.Second)
		}, 1},
		{"os_word", func(s *lintServer) {
			s.get(with(s.good("w1"), "os", "ios"), time.Second)
		}, 1},
	}
	// Findings that come with the case's own: the rejected requests that
	// a retry finding is about.
	also := map[string][]string{"retry_after_final_error": {"rejected_40008"}}
	ruleIDs := []string{}
	for _, r := range mockocean.LintRules() {
		ruleIDs = append(ruleIDs, r.ID)
		if r.Hint == "" || r.Title == "" || !strings.HasPrefix(r.Doc, "docs/platforms.md#") || mockocean.SeverityRank(r.Severity) == 0 {
			t.Errorf("rule %+v is incomplete", r)
		}
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			if !slices.Contains(ruleIDs, c.id) {
				t.Fatalf("no rule %s", c.id)
			}
			s := newLintServer(t)
			s.get(s.good("base-1"), time.Minute)
			c.send(s)
			s.get(s.good("base-2"), time.Minute)
			rep := mockocean.Lint(s.Requests())
			if ids, want := findingIDs(rep), append([]string{c.id}, also[c.id]...); !slices.Equal(ids, want) {
				t.Fatalf("findings %v, want %v\n%s", ids, want, journal(s.Requests()))
			}
			f := rep.Findings[0]
			examples := []string{"malformed_body", "retry_after_final_error", "device_rule", "event_type_absent", "conv_time_milliseconds", "os_word"}
			if wantExample := strings.HasPrefix(c.id, "rejected_") || slices.Contains(examples, c.id); wantExample != (f.Example != "") {
				t.Errorf("example %q: want one only for a rejection or a warning (the check that decided, the warning)", f.Example)
			}
			if f.Count != c.count || len(f.Seqs) != c.count {
				t.Errorf("count %d seqs %v, want %d", f.Count, f.Seqs, c.count)
			}
			for _, seq := range f.Seqs {
				if seq < 2 || seq > uint64(rep.Requests-1) {
					t.Errorf("example seq %d is not one of the requests sent for the finding", seq)
				}
			}
		})
	}
}

func journal(reqs []mockocean.Request) string {
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "%d %s %d %d %v\n", r.Seq, r.Time.Format("15:04:05.000"), r.Status, r.Code, r.Params)
	}
	return b.String()
}

func TestLintExamplesAreBounded(t *testing.T) {
	var reqs []mockocean.Request
	for i := range 12 {
		reqs = append(reqs, mockocean.Request{Seq: uint64(i + 1), Method: "GET", Status: 200, Code: mockocean.CodeDeviceInfo,
			Params: map[string]string{"event_type": "0", "outer_event_id": fmt.Sprint(i)}})
	}
	rep := mockocean.Lint(reqs)
	if len(rep.Findings) != 1 || rep.Findings[0].Count != 12 || !slices.Equal(rep.Findings[0].Seqs, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("%+v", rep.Findings)
	}
}

// TestReportEndpoint: the admin endpoint lints the journal in a window,
// as JSON, text or HTML, and refuses bad parameters.
func TestReportEndpoint(t *testing.T) {
	s := newLintServer(t)
	start := s.vc.Now()
	s.get(with(s.good("a"), "event_type", ""), time.Hour)
	s.get(s.good("b"), time.Hour)
	get := func(q string) (int, string) {
		resp, err := s.Client().Get(s.URL + mockocean.AdminPrefix + "/report" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("")
	var rep mockocean.TrafficReport
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil || rep.Requests != 2 || len(rep.Findings) != 1 {
		t.Fatalf("%d %v %s", code, err, body)
	}
	code, body = get("?since=" + url.QueryEscape(start.Add(30*time.Minute).Format(time.RFC3339)) + "&format=json")
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil || rep.Requests != 1 || len(rep.Findings) != 0 || rep.Since == nil {
		t.Fatalf("since: %d %v %s", code, err, body)
	}
	code, body = get("?until=" + url.QueryEscape(start.Add(30*time.Minute).Format(time.RFC3339)) + "&format=text")
	if code != 200 || !strings.Contains(body, "1 requests") || !strings.Contains(body, "event_type_absent") || !strings.Contains(body, "fix: ") {
		t.Fatalf("text: %d %s", code, body)
	}
	code, body = get("?format=html")
	if code != 200 || !strings.HasPrefix(body, "<!DOCTYPE html>") || !strings.Contains(body, "<code>event_type_absent</code>") {
		t.Fatalf("html: %d %s", code, body)
	}
	for _, q := range []string{"?since=yesterday", "?until=2026-13-01T00:00:00Z", "?format=pdf"} {
		if code, body := get(q); code != 400 || !strings.Contains(body, "error") {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}
