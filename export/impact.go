package export

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/scenarios"
)

// ImpactOptions describe where a delivery was recorded.
type ImpactOptions struct {
	// Name is the scenario's name; empty means one naming the delivery.
	Name string
	// Source says where the delivery came from, for the name.
	Source string
	// Postback is the configuration the delivery was sent with (GET
	// /_admin/impact/postbacks); its URL's scheme and host become
	// {receiver}. Nil means one built from the delivery's request: its
	// method and URL, sending nothing else.
	Postback *mockimpact.Postback
}

// playedFaults is the table of recorded network errors as the scripted
// faults that play them: the error kind (Attempt.ErrorKind) or, for a
// failed DNS lookup, the attempt's outcome. A TLS or other network
// error has no fault of its own: a reset is classified the same
// (network_error, retried).
var playedFaults = map[string]string{
	mockimpact.ErrKindTimeout:            mockimpact.FaultTimeout,
	mockimpact.ErrKindRefused:            mockimpact.FaultRefused,
	mockimpact.ErrKindReset:              mockimpact.FaultReset,
	mockimpact.ErrKindTLS:                mockimpact.FaultReset,
	mockimpact.ErrKindOther:              mockimpact.FaultReset,
	string(mockimpact.OutcomeDNSFailure): mockimpact.FaultDNS,
}

// Impact turns one ended delivery (as GET /_admin/impact/deliveries/{id}
// answers it) into an impact scenario: the event it carried (its type;
// the payload is generated, the sandbox does not keep the one fired), the
// configuration with {receiver} for the brand's host, a scripted
// receiver playing the recorded answers (status, body excerpt, latency
// as delay; network errors as faults), and the expected outcome, attempt
// outcomes and offsets. The offsets are those of the retry schedule
// after the scripted answers, which is what the scenario replays; the
// recorded ones (later when a rate limit or a busy dispatcher held an
// attempt) are in the description.
func Impact(d mockimpact.Delivery, opts ImpactOptions) (*scenarios.Scenario, error) {
	switch {
	case d.Outcome == mockimpact.DeliveryPending:
		return nil, fmt.Errorf("delivery %s is still pending (%d attempt(s) so far): export it when it has ended", d.ID, len(d.Attempts))
	case len(d.Attempts) == 0:
		return nil, fmt.Errorf("delivery %s has no attempt", d.ID)
	case d.Request == nil:
		return nil, fmt.Errorf("delivery %s has no request", d.ID)
	}
	p, err := postbackFor(d, opts.Postback)
	if err != nil {
		return nil, err
	}
	timeout := p.Timeout.D()
	if timeout <= 0 {
		timeout = mockimpact.DefaultTimeout
	}
	p.Event = d.Event // the file names it twice: postback.event has no omitempty
	im := &scenarios.Impact{Event: d.Event, Postback: p}
	e := &im.Expect.DeliveryExpect
	e.Outcome, e.Attempts = string(d.Outcome), len(d.Attempts)
	var at, took time.Duration // the scripted attempt's offset, and how long it takes
	recorded := make([]string, len(d.Attempts))
	for i, a := range d.Attempts {
		if i > 0 {
			at += took + mockimpact.RetryDelay(i)
		}
		st, dur, err := played(a, timeout)
		if err != nil {
			return nil, fmt.Errorf("delivery %s, attempt %d: %w", d.ID, a.N, err)
		}
		took = dur
		im.Receiver = append(im.Receiver, st)
		e.Offsets = append(e.Offsets, clock.Duration(at))
		e.Outcomes = append(e.Outcomes, string(a.Outcome))
		recorded[i] = a.Offset.Round(time.Millisecond).String()
	}
	if u, err := url.Parse(d.Request.URL); err == nil && opts.Postback != nil && !strings.Contains(pathOf(opts.Postback.URL), "{") {
		im.Expect.Received = []scenarios.ReceivedExpect{{Method: d.Request.Method, Path: u.Path}}
	}
	name := opts.Name
	if name == "" {
		name = fmt.Sprintf("impact delivery %s (%s) replayed: %s after %d attempt(s)", d.ID, d.Event, d.Outcome, len(d.Attempts))
		if opts.Source != "" {
			name += " from " + opts.Source
		}
	}
	desc := fmt.Sprintf("Exported from delivery %s, fired %s: %s %s. The receiver plays the recorded answers; the event's payload is generated (the sandbox does not keep the one fired). Recorded offsets: %s.",
		d.ID, d.Fired.UTC().Format(time.RFC3339), d.Request.Method, d.Request.URL, strings.Join(recorded, ", "))
	if opts.Postback == nil {
		desc += " The configuration was not available: the postback sends the recorded URL and nothing else."
	}
	return &scenarios.Scenario{Name: name, Description: desc, Impact: im}, nil
}

// played is the scripted step that plays attempt a, and how long the
// attempt takes with it.
func played(a mockimpact.Attempt, timeout time.Duration) (mockimpact.Step, time.Duration, error) {
	fault := playedFaults[a.ErrorKind]
	if a.Outcome == mockimpact.OutcomeDNSFailure {
		fault = playedFaults[string(a.Outcome)]
	}
	switch {
	case a.Outcome == mockimpact.OutcomeInvalidURL:
		return mockimpact.Step{}, 0, nil // never sent: the configuration says it
	case fault == mockimpact.FaultTimeout:
		return mockimpact.Step{Fault: fault}, timeout, nil
	case fault != "":
		return mockimpact.Step{Fault: fault}, 0, nil
	case a.Status == 0:
		return mockimpact.Step{}, 0, fmt.Errorf("%s without an answer nor a network error (%s): no scripted step plays it", a.Outcome, cmpText(a.Error, "no error recorded"))
	}
	delay := a.Latency.Round(time.Millisecond)
	if delay >= timeout {
		delay = timeout - time.Millisecond // an answer came: just in time
	}
	return mockimpact.Step{Status: a.Status, Body: a.ResponseBody, Delay: clock.Duration(delay)}, delay, nil
}

func cmpText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// postbackFor is the configuration the scenario sends with: cfg with
// {receiver} for the scheme and host of its URL, or, without cfg, the
// delivery's rendered method and URL.
func postbackFor(d mockimpact.Delivery, cfg *mockimpact.Postback) (mockimpact.Postback, error) {
	if cfg == nil {
		u, err := url.Parse(d.Request.URL)
		if err != nil || u.Host == "" {
			return mockimpact.Postback{}, fmt.Errorf("delivery %s: its URL %q is not absolute; give the configuration", d.ID, d.Request.URL)
		}
		rest := strings.NewReplacer("{", "%7B", "}", "%7D").Replace(u.RequestURI()) // no macros: the URL as sent
		return mockimpact.Postback{URL: scenarios.ReceiverPlaceholder + rest, Method: d.Request.Method, Format: "none"}, nil
	}
	p := *cfg
	scheme, rest, ok := strings.Cut(p.URL, "://")
	if !ok || strings.Contains(scheme, "{") {
		return p, errors.New("the configuration's URL does not start with a scheme and host: cannot point it at the scripted receiver")
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, rest = rest[:i], rest[i:]
	} else {
		rest = ""
	}
	if strings.Contains(host, "{") {
		return p, fmt.Errorf("the configuration's host %q is a template: cannot point it at the scripted receiver", host)
	}
	p.URL = scenarios.ReceiverPlaceholder + rest
	return p, nil
}

// pathOf is the path of a URL template (what follows the host, up to the
// query).
func pathOf(tmpl string) string {
	_, rest, _ := strings.Cut(tmpl, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	}
	path, _, _ := strings.Cut(rest, "?")
	return path
}
