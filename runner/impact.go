package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
	"github.com/postbacksim/postbacksim/scenarios"
)

func runImpact(ctx context.Context, sc *scenarios.Scenario, o Options) Result {
	im := sc.Impact
	r := Result{Kind: "impact"}
	p := im.Postback
	live := o.Target != ""
	base := scenarios.ScriptedReceiverURL
	if live {
		base = strings.TrimSuffix(o.Target, "/")
	}
	p.URL = strings.ReplaceAll(p.URL, scenarios.ReceiverPlaceholder, base)

	limit := o.LiveTimeout
	if limit <= 0 {
		limit = 2 * time.Minute
	}
	perDelivery := make([][]mockimpact.Step, len(im.Deliveries))
	for i, dl := range im.Deliveries {
		perDelivery[i] = dl.Receiver
	}
	got, err := Deliver(ctx, DeliverySetup{
		Postback: p, Event: im.Event, Seed: im.Seed, Status: im.Status, Fire: im.Fire,
		Receiver: im.Receiver, PerDelivery: perDelivery,
		Live: live, TimeScale: o.TimeScale, LiveTimeout: limit,
	})
	var de *DeliverError
	switch {
	case err == nil:
	case errors.As(err, &de) && de.Stage == StageWait:
		r.Failures = append(r.Failures, Failure{Path: "impact", Message: fmt.Sprintf("live run stopped after %v of real time: %v (raise --time-scale)", limit, de.Err)})
	case errors.As(err, &de) && de.Stage == StageSettle:
		r.Failures = append(r.Failures, Failure{Path: "impact", Message: fmt.Sprintf("the simulation did not settle: %v", de.Err)})
	default: // the configuration is checked at load; kept for live targets
		r.Failures = append(r.Failures, Failure{Path: "impact.postback", Message: Cause(err).Error()})
		return r
	}
	events, deliveries := got.Events, got.Deliveries
	for _, dl := range deliveries {
		// Counted from the first firing: an application's update is fired
		// by the dispatcher, later.
		if n := len(dl.Attempts); n > 0 {
			r.Simulated = max(r.Simulated, dl.Attempts[n-1].Actual.Sub(deliveries[0].Fired)+dl.Attempts[n-1].Latency)
		}
	}
	latencyScale := 0.0 // scripted: latencies are simulated, part of the schedule
	if live {
		latencyScale = o.TimeScale // live: the receiver's real latency, scaled
	}
	r.Failures = append(r.Failures, checkDeliveries(im, deliveries, Tolerance(im, o), latencyScale)...)
	if !live {
		r.Failures = append(r.Failures, checkReceived(im, events, deliveries, got.Received)...)
	} else if len(im.Expect.Received) > 0 {
		r.Skipped = append(r.Skipped, SkippedCheck{Path: "impact.expect.received",
			Reason: "live run: the receiver at --target is not scripted, so what it received cannot be seen"})
	}
	r.Timeline = timeline(deliveries)
	if len(deliveries) == 1 {
		r.Summary = fmt.Sprintf("%s after %d attempt(s), %v simulated", deliveries[0].Outcome, len(deliveries[0].Attempts), r.Simulated)
	} else {
		r.Summary = fmt.Sprintf("%d deliveries, %v simulated", len(deliveries), r.Simulated)
	}
	return r
}

func durations(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

// expectPath is the file path of delivery i's expectation field: its
// deliveries entry when that sets the field, else impact.expect.
func expectPath(im *scenarios.Impact, i int, field string) string {
	if i < len(im.Deliveries) {
		d := im.Deliveries[i].Expect
		set := map[string]bool{"outcome": d.Outcome != "", "attempts": d.Attempts != 0, "offsets": d.Offsets != nil, "outcomes": d.Outcomes != nil}
		if set[field] {
			return fmt.Sprintf("impact.deliveries[%d].expect.%s", i, field)
		}
	}
	return "impact.expect." + field
}

// DefaultTolerancePerAttempt is how late or early, in real time, a live
// attempt may go out by default, beyond the receiver's measured latency
// (which is allowed for apart): timer wake-ups and scheduling on a busy
// machine. 20 ms, scaled to the clock (× --time-scale), at least 1s.
const DefaultTolerancePerAttempt = 20 * time.Millisecond

// Tolerance is how far a scenario's offsets may be off, per attempt:
// Options.Tolerance when set, else the file's impact.expect.tolerance,
// else for a live run DefaultTolerancePerAttempt × the time scale (at
// least 1s), else 0 (a scripted run on the virtual clock is exact).
// Live runs also allow each offset to be late by the measured latency of
// the exchanges before it, scaled.
func Tolerance(im *scenarios.Impact, o Options) time.Duration {
	switch {
	case o.Tolerance > 0:
		return o.Tolerance
	case im.Expect.Tolerance > 0:
		return im.Expect.Tolerance.D()
	case o.Target != "":
		return max(time.Second, time.Duration(float64(DefaultTolerancePerAttempt)*max(o.TimeScale, 1)))
	}
	return 0
}

// checkDeliveries checks each delivery against its expectation. Offset i
// may be off by i×tol, and late by latencyScale × the real latency of the
// attempts before it (live runs: each wait starts when the previous
// answer is known, so the receiver's network time adds up) and by the
// time attempts waited for a sending slot or the rate limit.
func checkDeliveries(im *scenarios.Impact, ds []mockimpact.Delivery, tol time.Duration, latencyScale float64) []Failure {
	var out []Failure
	add := func(path, what string, want, got any) {
		if text := diff(what, want, got); text != "" {
			out = append(out, Failure{Path: path, Message: fmt.Sprintf("%s: want %s, got %s", what, jsonText(want), jsonText(got)), Want: want, Got: got, text: text})
		}
	}
	for i, d := range ds {
		label := "delivery"
		if len(ds) > 1 {
			label = fmt.Sprintf("delivery %d", i+1)
		}
		e := im.ExpectFor(i)
		if e.Outcome != "" {
			add(expectPath(im, i, "outcome"), label+" outcome", e.Outcome, string(d.Outcome))
		}
		if e.Attempts != 0 {
			add(expectPath(im, i, "attempts"), label+" attempts", e.Attempts, len(d.Attempts))
		}
		if e.Offsets != nil {
			want := make([]time.Duration, len(e.Offsets))
			for j, o := range e.Offsets {
				want[j] = o.D()
			}
			got := d.Offsets()
			what := label + " offsets"
			if tol > 0 || latencyScale > 0 {
				late := make([]time.Duration, len(got))
				for j := 1; j < len(late); j++ {
					a := d.Attempts[j]
					late[j] = late[j-1] + time.Duration(float64(d.Attempts[j-1].Latency)*latencyScale) + a.Queued + a.RateLimited
				}
				got = within(want, got, tol, late)
				what = fmt.Sprintf("%s (±%v per attempt)", what, tol)
			}
			add(expectPath(im, i, "offsets"), what, durations(want), durations(got))
		}
		if e.Outcomes != nil {
			got := make([]string, len(d.Attempts))
			for j, a := range d.Attempts {
				got[j] = string(a.Outcome)
			}
			add(expectPath(im, i, "outcomes"), label+" outcomes", e.Outcomes, got)
		}
	}
	if e := im.Expect; e.FirstAttemptAt != nil {
		var got []string
		for _, d := range ds[:min(len(ds), len(e.FirstAttemptAt))] {
			if len(d.Attempts) > 0 {
				at := d.Attempts[0].Actual.Sub(d.Fired)
				if i := len(got); tol > 0 && i < len(e.FirstAttemptAt) {
					at = within([]time.Duration{e.FirstAttemptAt[i].D()}, []time.Duration{at}, tol, nil)[0]
				}
				got = append(got, at.String())
			}
		}
		want := make([]string, len(e.FirstAttemptAt))
		for i, o := range e.FirstAttemptAt {
			want[i] = o.String()
		}
		add("impact.expect.first_attempt_at", "first_attempt_at", want, got)
	}
	return out
}

// within returns got with each offset that lies within tolerance of the
// one wanted at its place replaced by the wanted one, so a diff shows
// only the offsets that are off by more. Without late (nil), each may be
// off by tol; with it, offset i may be off by i×tol and later by late[i]
// more: each attempt's wait starts when the previous answer is known, so
// each exchange's time adds up.
func within(want, got []time.Duration, tol time.Duration, late []time.Duration) []time.Duration {
	out := slices.Clone(got)
	for i := range min(len(want), len(out)) {
		lo, hi := tol, tol
		if late != nil {
			lo, hi = tol*time.Duration(i), tol*time.Duration(i)+late[i]
		}
		if d := out[i] - want[i]; d >= -lo && d <= hi {
			out[i] = want[i]
		}
	}
	return out
}

// render fills the event's macros into an expected value.
func render(value string, ev fixtures.Event) (string, error) {
	if !strings.Contains(value, "{") {
		return value, nil
	}
	t, err := macro.Compile("expected value", value, macro.Header, reflect.TypeOf(ev))
	if err != nil {
		return "", err
	}
	return t.Render(ev)
}

func checkReceived(im *scenarios.Impact, events []fixtures.Event, ds []mockimpact.Delivery, got []mockimpact.Received) []Failure {
	var out []Failure
	for i, want := range im.Expect.Received {
		path := fmt.Sprintf("impact.expect.received[%d]", i)
		k := max(want.Delivery, 1)
		if k > len(ds) || k > len(events) {
			out = append(out, Failure{Path: path + ".delivery", Message: fmt.Sprintf("received[%d]: delivery %d was never made", i, k), Want: k, Got: len(ds)})
			continue
		}
		var reqs []mockimpact.Received
		for _, g := range got {
			if g.Attempt.DeliveryID == ds[k-1].ID && (want.Attempt == 0 || g.Attempt.N == want.Attempt) {
				reqs = append(reqs, g)
			}
		}
		label := fmt.Sprintf("received[%d] (delivery %d, attempt %d)", i, k, want.Attempt)
		if want.Attempt == 0 {
			label = fmt.Sprintf("received[%d] (delivery %d, every attempt)", i, k)
		}
		if len(reqs) == 0 {
			out = append(out, Failure{Path: path, Message: label + ": the receiver got no such request"})
			continue
		}
		for _, req := range reqs {
			where := label
			if want.Attempt == 0 {
				where = fmt.Sprintf("%s, attempt %d", label, req.Attempt.N)
			}
			for _, m := range matchRequest(want, req, events[k-1]) {
				m.Path = path + "." + m.Path
				m.text = fmt.Sprintf("%s:\n  %s", where, m.Message)
				m.Message = where + ": " + m.Message
				out = append(out, m)
			}
		}
	}
	return out
}

// matchRequest checks one received request; each Failure's Path is
// relative to the received entry (query.aid, json.amount, …).
func matchRequest(want scenarios.ReceivedExpect, got mockimpact.Received, ev fixtures.Event) []Failure {
	var out []Failure
	fail := func(path, msg string, w, g any) {
		out = append(out, Failure{Path: path, Message: msg, Want: w, Got: g})
	}
	str := func(path, what, wantV, gotV string) {
		w, err := render(wantV, ev)
		if err != nil {
			fail(path, fmt.Sprintf("%s: %v", what, err), wantV, gotV)
			return
		}
		if w != gotV {
			fail(path, fmt.Sprintf("%s: want %q, got %q", what, w, gotV), w, gotV)
		}
	}
	if want.Method != "" {
		str("method", "method", want.Method, got.Method)
	}
	if want.Path != "" {
		str("path", "path", want.Path, got.Path)
	}
	q, _ := url.ParseQuery(got.Query)
	for _, k := range slices.Sorted(maps.Keys(want.Query)) {
		if _, ok := q[k]; !ok {
			fail("query."+k, fmt.Sprintf("query %s: missing (query was %q)", k, got.Query), want.Query[k], nil)
			continue
		}
		str("query."+k, "query "+k, want.Query[k], q.Get(k))
	}
	for _, k := range slices.Sorted(maps.Keys(want.Headers)) {
		str("headers."+k, "header "+k, want.Headers[k], got.Header.Get(k))
	}
	if len(want.Form) > 0 {
		form, err := url.ParseQuery(got.Body)
		if err != nil {
			fail("form", fmt.Sprintf("form body does not parse: %v", err), nil, got.Body)
		}
		for _, k := range slices.Sorted(maps.Keys(want.Form)) {
			str("form."+k, "form "+k, want.Form[k], form.Get(k))
		}
	}
	if len(want.JSON) > 0 {
		var body map[string]any
		if err := json.Unmarshal([]byte(got.Body), &body); err != nil {
			fail("json", fmt.Sprintf("body is not a JSON object: %v", err), nil, got.Body)
		} else {
			for _, k := range slices.Sorted(maps.Keys(want.JSON)) {
				gv, ok := body[k]
				if !ok {
					fail("json."+k, fmt.Sprintf("json %s: missing from the body", k), want.JSON[k], nil)
					continue
				}
				wv := want.JSON[k]
				if s, isStr := wv.(string); isStr {
					if r, err := render(s, ev); err == nil {
						wv = r
					}
				}
				if !sameJSON(wv, gv) {
					fail("json."+k, fmt.Sprintf("json %s: want %v, got %v", k, jsonText(wv), jsonText(gv)), wv, gv)
				}
			}
		}
	}
	if want.BodyContains != "" {
		w, _ := render(want.BodyContains, ev)
		if !strings.Contains(got.Body, w) {
			fail("body_contains", fmt.Sprintf("body does not contain %q", w), w, got.Body)
		}
	}
	return out
}

// sameJSON compares an expected YAML value with a decoded JSON value:
// numbers as numbers, everything else by its JSON text.
func sameJSON(want, got any) bool {
	if wn, ok := number(want); ok {
		gn, ok := number(got)
		return ok && wn == gn
	}
	return jsonText(want) == jsonText(got)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// timeline is each delivery's attempts.
func timeline(ds []mockimpact.Delivery) *Timeline {
	t := &Timeline{Deliveries: []TimelineDelivery{}}
	for _, d := range ds {
		td := TimelineDelivery{ID: d.ID, Event: d.Event, Method: d.Request.Method, URL: d.Request.URL, Outcome: string(d.Outcome), Attempts: []TimelineAttempt{}}
		for _, a := range d.Attempts {
			ta := TimelineAttempt{N: a.N, Offset: a.Offset.String(), OffsetNS: int64(a.Offset), Outcome: string(a.Outcome), Status: a.Status, Error: a.ErrorKind, Body: a.ResponseBody}
			if ta.Error == "" {
				ta.Error = a.Error
			}
			td.Attempts = append(td.Attempts, ta)
		}
		t.Deliveries = append(t.Deliveries, td)
	}
	return t
}
