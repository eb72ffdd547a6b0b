package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/scenarios"
)

func runOcean(_ context.Context, sc *scenarios.Scenario) Result {
	o := sc.Ocean
	r := Result{Kind: "ocean", Timeline: &Timeline{Steps: []TimelineStep{}}}
	vc := clock.NewVirtual(time.Time{})
	srv := mockocean.New(mockocean.Config{Clock: vc, Lenient: o.Lenient, Strict: o.Strict, DedupTTL: o.DedupTTL.D(), AppSecret: o.AppSecret})
	requests := 0
	for i, st := range o.Steps {
		path := fmt.Sprintf("ocean.steps[%d]", i)
		label := fmt.Sprintf("step %d", i+1)
		if st.Name != "" {
			label += " (" + st.Name + ")"
		}
		ts := TimelineStep{N: i + 1, Name: st.Name}
		switch {
		case st.Fault != nil:
			ts.Action = "fault"
			f, err := srv.InjectFault(context.Background(), *st.Fault)
			if err != nil {
				r.Failures = append(r.Failures, Failure{Path: path + ".fault", Message: fmt.Sprintf("%s: %v", label, err)})
				ts.Error = err.Error()
			}
			ts.Fault = f.ID
			r.Timeline.Steps = append(r.Timeline.Steps, ts)
		case st.ClearFaults:
			ts.Action = "clear_faults"
			if err := srv.ClearFaults(context.Background()); err != nil {
				r.Failures = append(r.Failures, Failure{Path: path + ".clear_faults", Message: fmt.Sprintf("%s: %v", label, err)})
				ts.Error = err.Error()
			}
			r.Timeline.Steps = append(r.Timeline.Steps, ts)
		case st.Advance != 0:
			ts.Action = "advance"
			vc.Advance(st.Advance.D())
			ts.Advance = st.Advance.String()
			r.Timeline.Steps = append(r.Timeline.Steps, ts)
		default:
			ts.Action = "request"
			for n := range max(st.Repeat, 1) {
				want, wantPath := st.Expect, path+".expect"
				if n == 0 && st.ExpectFirst != nil {
					want, wantPath = st.ExpectFirst, path+".expect_first"
				}
				rs := ts
				if st.Repeat > 1 {
					rs.Request = n + 1
				}
				got, err := send(srv, vc, st.Request, o.AppSecret)
				requests++
				if err != nil {
					r.Failures = append(r.Failures, Failure{Path: path + ".request", Message: fmt.Sprintf("%s: %v", label, err)})
					rs.Error = err.Error()
					r.Timeline.Steps = append(r.Timeline.Steps, rs)
					continue
				}
				rs.Status, rs.Body, rs.Dropped = got.status, got.body, got.dropped
				rs.Detail, rs.Warnings = got.entry.Detail, got.entry.Warnings
				if got.dropped {
					rs.Status, rs.Body = 0, ""
				}
				r.Timeline.Steps = append(r.Timeline.Steps, rs)
				if want == nil {
					continue
				}
				if fs := checkAnswer(*want, got); len(fs) > 0 {
					which := label
					if st.Repeat > 1 {
						which = fmt.Sprintf("%s, request %d of %d", label, n+1, st.Repeat)
					}
					for _, f := range fs {
						f.Path = wantPath + "." + f.Path
						f.text = fmt.Sprintf("%s:\n  %s", which, f.Message)
						f.Message = which + ": " + f.Message
						r.Failures = append(r.Failures, f)
					}
				}
			}
		}
	}
	r.Simulated = vc.Now().Sub(clock.Epoch)
	r.Summary = fmt.Sprintf("%d request(s), %d step(s)", requests, len(o.Steps))
	return r
}

// answer is what a request got, with the journal's view of it.
type answer struct {
	status  int
	body    string
	dropped bool
	entry   mockocean.Request
}

func (a answer) String() string {
	if a.dropped {
		return "connection dropped"
	}
	s := fmt.Sprintf("HTTP %d %s", a.status, strings.TrimSpace(a.body))
	if a.entry.Detail != "" {
		s += " — " + a.entry.Detail
	}
	for _, w := range a.entry.Warnings {
		s += " [warning: " + w + "]"
	}
	return s
}

// buildRequest turns a scenario request into an *http.Request.
func buildRequest(req *scenarios.OceanRequest, appSecret string) (*http.Request, error) {
	enc := req.Encoding
	if enc == "" {
		enc = "query"
	}
	if req.API == mockocean.APIV2 {
		enc = "json"
	}
	method := map[string]string{"query": http.MethodGet, "form": http.MethodPost, "json": http.MethodPost}[enc]
	if req.Method != "" {
		method = strings.ToUpper(req.Method)
	}
	target := mockocean.ActivatePath
	if req.API == mockocean.APIV2 {
		target = mockocean.V2Path
	}
	var body, ctype string
	values := url.Values{}
	for k, v := range req.Params {
		values.Set(k, fmt.Sprint(v))
	}
	query := req.Query
	switch enc {
	case "query":
		if len(values) > 0 {
			query = strings.TrimPrefix(query+"&"+values.Encode(), "&")
		}
	case "form":
		body, ctype = values.Encode(), "application/x-www-form-urlencoded"
	case "json":
		b, err := json.Marshal(req.Params)
		if err != nil {
			return nil, fmt.Errorf("params as JSON: %w", err)
		}
		body, ctype = string(b), "application/json"
	}
	if query != "" {
		target += "?" + query
	}
	if req.Body != "" {
		body = req.Body
	}
	if req.ContentType != "" {
		ctype = req.ContentType
	}
	hr, err := http.NewRequest(method, "http://sandbox.invalid"+target, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	hr.RemoteAddr = "192.0.2.1:1234" // TEST-NET-1: served in process, never sent
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	if req.Sign {
		h := sha256.Sum256([]byte(body + appSecret))
		hr.Header.Set(mockocean.HeaderV2Signature, hex.EncodeToString(h[:]))
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	return hr, nil
}

// send serves one request in process. Injected delays sleep on the
// virtual clock, which is advanced until the handler returns.
func send(srv *mockocean.Server, vc *clock.Virtual, req *scenarios.OceanRequest, appSecret string) (answer, error) {
	hr, err := buildRequest(req, appSecret)
	if err != nil {
		return answer{}, err
	}
	ctx := context.Background()
	js, err := srv.JournalStats(ctx)
	if err != nil {
		return answer{}, err
	}
	before := js.Received
	w := newRecorder()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		srv.ServeHTTP(w, hr)
	}()
	var a answer
	guard := time.NewTimer(10 * time.Second) // real time: a guard against a hung handler
	defer guard.Stop()
	for waiting := true; waiting; {
		scheduled := vc.Scheduled() // before Next, so no timer slips in between
		if next, ok := vc.Next(); ok {
			vc.AdvanceTo(next) // an injected delay: play it in virtual time
			continue
		}
		select {
		case p := <-done:
			waiting = false
			if p != nil {
				if p != http.ErrAbortHandler {
					return answer{}, fmt.Errorf("handler panicked: %v", p)
				}
				a.dropped = true
			}
		case <-scheduled:
		case <-guard.C:
			return answer{}, errors.New("the emulator did not answer in 10 s")
		}
	}
	a.status, a.body = w.code, w.body.String()
	if a.status == 0 && !a.dropped {
		a.status = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	reqs, err := srv.RequestsSince(ctx, before)
	if err != nil {
		return answer{}, err
	}
	if len(reqs) > 0 {
		a.entry = reqs[len(reqs)-1]
	}
	return a, nil
}

// checkAnswer checks one answer; each Failure's Path is relative to the
// expectation (status, code, …).
func checkAnswer(want scenarios.OceanExpect, got answer) []Failure {
	var out []Failure
	fail := func(path, msg string, w, g any) {
		out = append(out, Failure{Path: path, Message: msg, Want: w, Got: g})
	}
	if want.Dropped != got.dropped {
		fail("dropped", fmt.Sprintf("dropped: want %v, got %v (%s)", want.Dropped, got.dropped, got), want.Dropped, got.dropped)
		return out
	}
	if got.dropped {
		return nil
	}
	status := want.Status
	if status == 0 {
		status = http.StatusOK
	}
	if got.status != status {
		fail("status", fmt.Sprintf("HTTP status: want %d, got %d (%s)", status, got.status, got), status, got.status)
	}
	var ans struct {
		mockocean.Answer
		Message string `json:"message"` // the v2 API's msg
	}
	valid := json.Unmarshal([]byte(got.body), &ans) == nil
	if ans.Msg == "" {
		ans.Msg = ans.Message
	}
	if want.Malformed {
		if valid {
			fail("malformed", fmt.Sprintf("want a malformed body, got valid JSON %s", got.body), true, false)
		}
		return out
	}
	if (want.Code != nil || want.Msg != "") && !valid {
		var w any = want.Msg
		if want.Code != nil {
			w = *want.Code
		}
		fail("code", fmt.Sprintf("body is not a JSON answer: %q", got.body), w, got.body)
		return out
	}
	if want.Code != nil && ans.Code != *want.Code {
		fail("code", fmt.Sprintf("code: want %d, got %d %q (%s)", *want.Code, ans.Code, ans.Msg, got.entry.Detail), *want.Code, ans.Code)
	}
	if want.Msg != "" && ans.Msg != want.Msg {
		fail("msg", fmt.Sprintf("msg: want %q, got %q", want.Msg, ans.Msg), want.Msg, ans.Msg)
	}
	if want.Warning != "" {
		found := false
		for _, w := range got.entry.Warnings {
			found = found || strings.Contains(w, want.Warning)
		}
		if !found {
			fail("warning", fmt.Sprintf("no warning contains %q (warnings: %q)", want.Warning, got.entry.Warnings), want.Warning, got.entry.Warnings)
		}
	}
	if want.Warnings != nil && !slices.Equal(want.Warnings, got.entry.Warnings) {
		fail("warnings", fmt.Sprintf("warnings: want %q, got %q", want.Warnings, got.entry.Warnings), want.Warnings, got.entry.Warnings)
	}
	if want.Detail != "" && !strings.Contains(got.entry.Detail, want.Detail) {
		fail("detail", fmt.Sprintf("detail: want it to contain %q, got %q", want.Detail, got.entry.Detail), want.Detail, got.entry.Detail)
	}
	return out
}
