package export

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/scenarios"
)

// OceanOptions describe the sandbox a journal was recorded on, for the
// scenario to replay it under the same rules.
type OceanOptions struct {
	// Name is the scenario's name; empty means one naming Source and the
	// requests' numbers.
	Name string
	// Source says where the journal came from (the sandbox's URL and
	// namespace), for the description.
	Source string
	// Lenient, Strict, DedupTTL and AppSecret are the sandbox's Ocean
	// settings (serve --lenient, --strict, --dedup-ttl, --ocean-app-secret):
	// the scenario's emulator runs with them.
	Lenient, Strict bool
	DedupTTL        time.Duration
	AppSecret       string
	// Faults are the sandbox's fault rules (GET /_admin/ocean/faults): a
	// request a rule answered is preceded by a fault step that answers it
	// the same way once.
	Faults []mockocean.Fault
	// MinGap is the shortest pause between two requests that becomes an
	// advance step (the duplicate filter forgets ids after DedupTTL);
	// 0 means a minute.
	MinGap time.Duration
}

// Skipped is a journaled request that cannot be sent again, and why.
type Skipped struct {
	Seq    uint64
	Reason string
}

// OceanResult is a journal as a scenario.
type OceanResult struct {
	// Scenario replays the requests that can be replayed.
	Scenario *scenarios.Scenario
	// Requests is how many requests the scenario sends.
	Requests int
	// Skipped are the requests left out, each with its reason.
	Skipped []Skipped
}

// unreplayable is the table of journaled requests a scenario cannot send
// again: the first whose test holds leaves the request out, with its
// reason.
var unreplayable = []struct {
	test   func(r *mockocean.Request, f *mockocean.Fault) bool
	reason string
}{
	{func(r *mockocean.Request, _ *mockocean.Fault) bool {
		return r.Status == http.StatusRequestEntityTooLarge && r.Fault == ""
	},
		"answered 413: its body, over the size limit, was not kept"},
	{func(r *mockocean.Request, f *mockocean.Fault) bool { return r.Status == 0 && (f == nil || !f.Drop) },
		"the client went away before the answer (during an injected delay)"},
}

// Ocean turns journal entries (oldest first, as GET
// /_admin/ocean/requests answers them) into an Ocean scenario: each
// request is sent again with its method, API, raw query string, body,
// content type and v2 headers, and must get the answer it got (HTTP
// status, code, msg, warnings exactly; a dropped connection, a malformed
// body). A request a fault rule answered is preceded by a fault step
// playing that rule once (an error when opts.Faults lacks the rule); a
// pause of opts.MinGap or more becomes an advance step; a duplicate
// whose original is not among reqs (a journal read from a seq on) is
// preceded by that original, expected to be accepted. Requests that
// cannot be sent again are left out and listed in Skipped; an error
// means nothing could be exported.
func Ocean(reqs []mockocean.Request, opts OceanOptions) (*OceanResult, error) {
	if opts.Lenient && opts.Strict {
		return nil, errors.New("lenient and strict: a sandbox runs in one mode")
	}
	if len(reqs) == 0 {
		return nil, errors.New("the journal holds no request to export")
	}
	faults := make(map[string]*mockocean.Fault, len(opts.Faults))
	for i := range opts.Faults {
		faults[opts.Faults[i].ID] = &opts.Faults[i]
	}
	gap := cmpOr(opts.MinGap, time.Minute)
	res := &OceanResult{}
	o := &scenarios.Ocean{Lenient: opts.Lenient, Strict: opts.Strict, DedupTTL: clock.Duration(opts.DedupTTL), AppSecret: opts.AppSecret}
	var last *time.Time           // the previous request's time
	accepted := map[string]bool{} // outer_event_ids the exported requests gave the filter
	for i := range reqs {
		r := &reqs[i]
		var f *mockocean.Fault
		if r.Fault != "" {
			if f = faults[r.Fault]; f == nil {
				return nil, fmt.Errorf("request %d was answered by fault rule %s, which the sandbox no longer holds: its answer cannot be replayed (export with --since %d, or add the rule again)", r.Seq, r.Fault, r.Seq)
			}
		}
		if reason := skipReason(r, f); reason != "" {
			res.Skipped = append(res.Skipped, Skipped{Seq: r.Seq, Reason: reason})
			continue
		}
		if last != nil && r.Time.Sub(*last) >= gap {
			o.Steps = append(o.Steps, scenarios.OceanStep{Name: fmt.Sprintf("the pause before request %d", r.Seq),
				Advance: clock.Duration(r.Time.Sub(*last).Truncate(time.Second))})
		}
		last = &r.Time
		if f != nil {
			o.Steps = append(o.Steps, scenarios.OceanStep{Name: fmt.Sprintf("fault rule %s answers request %d", f.ID, r.Seq), Fault: faultOnce(f, r)})
		}
		id := ""
		if r.Conversion != nil && r.Fault == "" {
			id = r.Conversion.OuterEventID
		}
		if isDuplicate(r) && id != "" && !accepted[id] {
			// Its original is outside the export (--since): send it
			// first, so the filter knows the id.
			zero := 0
			o.Steps = append(o.Steps, scenarios.OceanStep{Name: fmt.Sprintf("the original of request %d's outer_event_id %s (before the exported requests)", r.Seq, id),
				Request: oceanRequest(r), Expect: &scenarios.OceanExpect{Code: &zero}})
		}
		if id != "" {
			accepted[id] = true
		}
		o.Steps = append(o.Steps, scenarios.OceanStep{Name: stepName(r), Request: oceanRequest(r), Expect: oceanExpect(r)})
		res.Requests++
	}
	if res.Requests == 0 {
		return nil, fmt.Errorf("none of the %d request(s) can be sent again (request %d: %s)", len(reqs), res.Skipped[0].Seq, res.Skipped[0].Reason)
	}
	first, lastSeq := reqs[0].Seq, reqs[len(reqs)-1].Seq
	name := opts.Name
	if name == "" {
		name = fmt.Sprintf("Ocean requests %d–%d replayed", first, lastSeq)
		if opts.Source != "" {
			name += " from " + opts.Source
		}
	}
	desc := fmt.Sprintf("Exported from the sandbox's journal (requests %d to %d): each request is sent as received and must get the answer it got.", first, lastSeq)
	for _, s := range res.Skipped {
		desc += fmt.Sprintf(" Request %d is left out: %s.", s.Seq, s.Reason)
	}
	res.Scenario = &scenarios.Scenario{Name: name, Description: desc, Ocean: o}
	return res, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func skipReason(r *mockocean.Request, f *mockocean.Fault) string {
	for _, u := range unreplayable {
		if u.test(r, f) {
			return u.reason
		}
	}
	return ""
}

// stepName labels a request's step with its number in the journal and
// what its answer was.
func stepName(r *mockocean.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "request %d: %s %s", r.Seq, r.Method, r.Path)
	switch {
	case r.Fault != "":
		fmt.Fprintf(&b, " (answered by fault rule %s)", r.Fault)
	case isDuplicate(r):
		b.WriteString(" (a duplicate)")
	case r.Answered && r.Code != 0:
		fmt.Fprintf(&b, " (rejected: %d)", r.Code)
	}
	return b.String()
}

// oceanRequest is r as sent: method, API, raw query string and body,
// content type, and the v2 headers the journal kept.
func oceanRequest(r *mockocean.Request) *scenarios.OceanRequest {
	req := &scenarios.OceanRequest{Query: r.Query, Body: r.Body, ContentType: r.ContentType}
	if r.API == mockocean.APIV2 {
		req.API = mockocean.APIV2
	} else if r.Method != http.MethodGet {
		req.Method = r.Method
	}
	h := map[string]string{}
	for _, v := range []struct {
		name, value string
	}{
		{mockocean.HeaderV2Signature, r.Signature},
		{mockocean.HeaderV2RS256Token, r.RS256Token},
		{mockocean.HeaderV2DebugMode, map[bool]string{true: "1"}[r.Debug]},
		// The token's value is not journaled (a credential): any value
		// says one came.
		{mockocean.HeaderV2AppToken, map[bool]string{true: "exported-token"}[r.AppAccessToken]},
	} {
		if v.value != "" {
			h[v.name] = v.value
		}
	}
	if len(h) > 0 {
		req.Headers = h
	}
	return req
}

// oceanExpect is the answer r got.
func oceanExpect(r *mockocean.Request) *scenarios.OceanExpect {
	e := &scenarios.OceanExpect{}
	if r.Status == 0 {
		e.Dropped = true
		return e
	}
	if r.Status != http.StatusOK {
		e.Status = r.Status
	}
	if r.Answered {
		code := r.Code
		e.Code, e.Msg = &code, r.Msg
	} else if r.Status == http.StatusOK {
		e.Malformed = true // the only 200 without an Ocean answer
	}
	e.Warnings = append([]string{}, r.Warnings...) // [] expects none
	return e
}

// faultOnce is rule f as a fault step answering the next request of r's
// API once, whatever its parameters.
func faultOnce(f *mockocean.Fault, r *mockocean.Request) *mockocean.Fault {
	api := mockocean.APITrack
	if r.API == mockocean.APIV2 {
		api = mockocean.APIV2
	}
	return &mockocean.Fault{API: api, Times: 1, Delay: f.Delay, Status: f.Status, Body: f.Body, Drop: f.Drop,
		Malformed: f.Malformed, Code: f.Code, Msg: f.Msg}
}

// isDuplicate reports whether r was answered as the duplicate of an
// outer_event_id accepted before.
func isDuplicate(r *mockocean.Request) bool {
	return r.Answered && r.Fault == "" && r.Conversion != nil && (r.Code == mockocean.CodeDuplicate || r.Code == mockocean.V2CodeDuplicate)
}
