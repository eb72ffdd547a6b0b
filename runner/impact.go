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
	"text/tabwriter"
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
		r.Failures = append(r.Failures, fmt.Sprintf("live run stopped after %v of real time: %v (raise --time-scale)", limit, de.Err))
	case errors.As(err, &de) && de.Stage == StageSettle:
		r.Failures = append(r.Failures, fmt.Sprintf("the simulation did not settle: %v", de.Err))
	default: // the configuration is checked at load; kept for live targets
		r.Failures = append(r.Failures, Cause(err).Error())
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
	r.Failures = append(r.Failures, checkDeliveries(im, deliveries)...)
	if !live {
		r.Failures = append(r.Failures, checkReceived(im, events, deliveries, got.Received)...)
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

func checkDeliveries(im *scenarios.Impact, ds []mockimpact.Delivery) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	for i, d := range ds {
		label := "delivery"
		if len(ds) > 1 {
			label = fmt.Sprintf("delivery %d", i+1)
		}
		e := im.ExpectFor(i)
		if e.Outcome != "" {
			add(diff(label+" outcome", e.Outcome, string(d.Outcome)))
		}
		if e.Attempts != 0 {
			add(diff(label+" attempts", e.Attempts, len(d.Attempts)))
		}
		if e.Offsets != nil {
			want := make([]time.Duration, len(e.Offsets))
			for j, o := range e.Offsets {
				want[j] = o.D()
			}
			add(diff(label+" offsets", durations(want), durations(d.Offsets())))
		}
		if e.Outcomes != nil {
			got := make([]string, len(d.Attempts))
			for j, a := range d.Attempts {
				got[j] = string(a.Outcome)
			}
			add(diff(label+" outcomes", e.Outcomes, got))
		}
	}
	if e := im.Expect; e.FirstAttemptAt != nil {
		var got []string
		for _, d := range ds[:min(len(ds), len(e.FirstAttemptAt))] {
			if len(d.Attempts) > 0 {
				got = append(got, d.Attempts[0].Actual.Sub(d.Fired).String())
			}
		}
		want := make([]string, len(e.FirstAttemptAt))
		for i, o := range e.FirstAttemptAt {
			want[i] = o.String()
		}
		add(diff("first_attempt_at", want, got))
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

func checkReceived(im *scenarios.Impact, events []fixtures.Event, ds []mockimpact.Delivery, got []mockimpact.Received) []string {
	var out []string
	for i, want := range im.Expect.Received {
		k := max(want.Delivery, 1)
		if k > len(ds) || k > len(events) {
			out = append(out, fmt.Sprintf("received[%d]: delivery %d was never made", i, k))
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
			out = append(out, label+": the receiver got no such request")
			continue
		}
		for _, req := range reqs {
			if msgs := matchRequest(want, req, events[k-1]); len(msgs) > 0 {
				where := label
				if want.Attempt == 0 {
					where = fmt.Sprintf("%s, attempt %d", label, req.Attempt.N)
				}
				out = append(out, fmt.Sprintf("%s:\n  %s", where, strings.Join(msgs, "\n  ")))
			}
		}
	}
	return out
}

func matchRequest(want scenarios.ReceivedExpect, got mockimpact.Received, ev fixtures.Event) []string {
	var out []string
	str := func(what, wantV, gotV string) {
		w, err := render(wantV, ev)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", what, err))
			return
		}
		if w != gotV {
			out = append(out, fmt.Sprintf("%s: want %q, got %q", what, w, gotV))
		}
	}
	if want.Method != "" {
		str("method", want.Method, got.Method)
	}
	if want.Path != "" {
		str("path", want.Path, got.Path)
	}
	q, _ := url.ParseQuery(got.Query)
	for _, k := range slices.Sorted(maps.Keys(want.Query)) {
		if _, ok := q[k]; !ok {
			out = append(out, fmt.Sprintf("query %s: missing (query was %q)", k, got.Query))
			continue
		}
		str("query "+k, want.Query[k], q.Get(k))
	}
	for _, k := range slices.Sorted(maps.Keys(want.Headers)) {
		str("header "+k, want.Headers[k], got.Header.Get(k))
	}
	if len(want.Form) > 0 {
		form, err := url.ParseQuery(got.Body)
		if err != nil {
			out = append(out, fmt.Sprintf("form body does not parse: %v", err))
		}
		for _, k := range slices.Sorted(maps.Keys(want.Form)) {
			str("form "+k, want.Form[k], form.Get(k))
		}
	}
	if len(want.JSON) > 0 {
		var body map[string]any
		if err := json.Unmarshal([]byte(got.Body), &body); err != nil {
			out = append(out, fmt.Sprintf("body is not a JSON object: %v", err))
		} else {
			for _, k := range slices.Sorted(maps.Keys(want.JSON)) {
				gv, ok := body[k]
				if !ok {
					out = append(out, fmt.Sprintf("json %s: missing from the body", k))
					continue
				}
				wv := want.JSON[k]
				if s, isStr := wv.(string); isStr {
					if r, err := render(s, ev); err == nil {
						wv = r
					}
				}
				if !sameJSON(wv, gv) {
					out = append(out, fmt.Sprintf("json %s: want %v, got %v", k, jsonText(wv), jsonText(gv)))
				}
			}
		}
	}
	if want.BodyContains != "" {
		w, _ := render(want.BodyContains, ev)
		if !strings.Contains(got.Body, w) {
			out = append(out, fmt.Sprintf("body does not contain %q", w))
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

// timeline writes each delivery's attempts as a table.
func timeline(ds []mockimpact.Delivery) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%s %s → %s %s: %s\n", d.ID, d.Event, d.Request.Method, d.Request.URL, d.Outcome)
		tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
		for _, a := range d.Attempts {
			answer := fmt.Sprint(a.Status)
			if a.ErrorKind != "" {
				answer = a.ErrorKind
			} else if a.Error != "" {
				answer = a.Error
			}
			if a.ResponseBody != "" {
				answer += fmt.Sprintf(" %q", a.ResponseBody)
			}
			fmt.Fprintf(tw, "  #%d\t+%v\t%s\t%s\n", a.N, a.Offset, a.Outcome, answer)
		}
		tw.Flush()
	}
	return b.String()
}
