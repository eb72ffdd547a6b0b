// Package certify runs a battery of impact.com postbacks against a brand's
// real receiver and reports, check by check, whether the receiver handles
// them as impact.com's delivery expects (docs/certify.md).
//
// The requests are the ones the emulator would send: generated events
// (package fixtures) rendered through mockimpact.Compile with the documented
// default payloads and macro templates, sent by a real HTTP client that
// follows no redirects, each attempt bounded by mockimpact.DefaultTimeout.
// Each answer is classified with mockimpact's Outcomes table.
package certify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// Result is a check's verdict.
type Result string

// Check verdicts.
const (
	Pass Result = "pass"
	Warn Result = "warn"
	Fail Result = "fail"
)

// SlowAnswer is the latency above which an answer is a warning: impact
// waits DefaultTimeout (30 s), but a receiver that takes more than a sixth
// of it under a test's light load will time out under real load.
const SlowAnswer = 5 * time.Second

// Options configures a battery.
type Options struct {
	// Target is the receiver's URL; it may hold macros ({ActionId}).
	Target string
	// Events restricts the battery to these events; empty means all six.
	Events []string
	// Method restricts the battery to GET or POST; empty means both.
	Method string
	// Success is the configured success response; zero means any 2xx.
	Success mockimpact.Matcher
	// TimeScale divides the timeout and the slow-answer threshold (for
	// tests); 0 or 1 means real durations.
	TimeScale float64
	// Seed and Now drive the event generator (0 and zero: fixtures'
	// defaults), so a battery with the same seed sends the same payloads.
	Seed int64
	Now  time.Time
	// Version names what runs the battery, for the report's header.
	Version string
	// Clock measures latency; nil means the wall clock. Tests inject a
	// clock.Virtual so latencies are exact.
	Clock clock.Clock
	// Transport sends the requests; nil means mockimpact.NewLiveTransport.
	Transport http.RoundTripper
}

// Check is one request sent and what came of it.
type Check struct {
	// ID is stable across runs: event.variant.transport, event.idempotent,
	// event.utf8.transport, event.extra_fields.transport.
	ID    string `json:"id"`
	Event string `json:"event"`
	// Result is pass, warn or fail; Detail says why when it is not pass.
	Result Result `json:"result"`
	Detail string `json:"detail,omitempty"`
	// Outcome is how impact would classify the answer (mockimpact.Outcomes).
	Outcome mockimpact.Outcome `json:"outcome"`
	// Why is the documented rule the check holds the receiver to.
	Why      string          `json:"why"`
	Request  SentRequest     `json:"request"`
	Response *ReceivedAnswer `json:"response,omitempty"`
	// Second is the answer to the repeated request of an idempotency check.
	Second *ReceivedAnswer `json:"second_response,omitempty"`
}

// SentRequest is the exact request sent.
type SentRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

// ReceivedAnswer is what the receiver answered: a subset of the headers
// (Content-Type, Location, Retry-After) and up to 512 bytes of the body.
type ReceivedAnswer struct {
	Status    int               `json:"status,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      string            `json:"body,omitempty"`
	Latency   time.Duration     `json:"latency_ns"`
	Error     string            `json:"error,omitempty"`
	Truncated bool              `json:"truncated,omitempty"`

	full []byte // the body read, for matching (up to 64 KiB)
}

// EventLatency summarises one event's answer times.
type EventLatency struct {
	Event string        `json:"event"`
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
}

// Report is a battery's result.
type Report struct {
	Target string `json:"target"`
	// Method is the one method certified ("" for both GET and POST);
	// Events the events certified, in order.
	Method string   `json:"method,omitempty"`
	Events []string `json:"events"`
	// Seed generated the payloads: the same seed sends the same ones
	// again (certify impact --seed).
	Seed int64 `json:"seed"`
	// TimeScale divided the timeout and the slow-answer threshold.
	TimeScale float64 `json:"time_scale"`
	// Date is when the battery ran; Version the postbacksim that ran it
	// (Options.Version).
	Date    time.Time      `json:"date"`
	Version string         `json:"version,omitempty"`
	Checks  []Check        `json:"checks"`
	Latency []EventLatency `json:"latency"`
	Passed  int            `json:"passed"`
	Warned  int            `json:"warned"`
	Failed  int            `json:"failed"`
}

// OK reports whether no check failed.
func (r *Report) OK() bool { return r.Failed == 0 }

// The documented rules the checks cite (docs/platforms.md anchors).
const (
	whyDelivery = "impact.com sends each event as GET (the payload in the query string) or POST (a JSON or form body), " +
		"and counts it delivered only when the answer matches the success response (default: any 2xx); " +
		"docs/platforms.md#the-request, docs/platforms.md#d-impact-matchers, docs/platforms.md#classifying-an-attempt"
	whyIdempotent = "an attempt whose answer is lost (timeout, reset) is retried with the same request, up to 15 times; " +
		"the receiver must answer success again and count the event once; " +
		"docs/platforms.md#the-retry-schedule, docs/platforms.md#d-impact-timing"
	whyUTF8 = "macro values are escaped where they land (query, JSON, form), so text with Chinese, accents, emoji, " +
		"& = + spaces and quotes arrives encoded and must be decoded, not rejected; docs/platforms.md#d-impact-escaping"
	whyExtra = "the payload is every documented field (docs/platforms.md#d-impact-default-payload); impact may add fields, " +
		"so a receiver must ignore the ones it does not know; docs/platforms.md#the-six-events"
)

// whyUnconfirmed is appended to a detail about a 3xx or a 2xx without the
// success text.
const whyUnconfirmed = "impact classifies it unconfirmed: final, not retried, flagged (docs/platforms.md#d-impact-unconfirmed); " +
	"redirects are not followed (docs/platforms.md#d-impact-timing)"

// variant is one documented shape of an event: a status the generator can
// produce.
type variant struct {
	name string
	gen  func(g *fixtures.ImpactGen) fixtures.Event
}

// variantsOf lists the documented statuses of event, from the fixtures
// status table (each generated from the same seed, so the ids agree); an
// event without a status field has one variant, "default".
func variantsOf(event string) []variant {
	specs := fixtures.StatusesOf(event)
	if len(specs) == 0 {
		return []variant{{"default", func(g *fixtures.ImpactGen) fixtures.Event {
			ev, _ := g.Event(event)
			return ev
		}}}
	}
	out := make([]variant, len(specs))
	for i, s := range specs {
		out[i] = variant{strings.ToLower(s.Status), func(g *fixtures.ImpactGen) fixtures.Event {
			ev, _ := g.EventWithStatus(event, s.Status) // the table lists only statuses it takes
			return ev
		}}
	}
	return out
}

// TrickyText is the value the utf8 checks put in a free-text field:
// Chinese, accents, an emoji, and the characters that break naive query
// and form parsing.
const TrickyText = `certify 促销活动 Café Zoë 🎉 a&b=c+d 50% "quoted" 'single'`

// freeText sets the event's free-text field to v and names it; events
// without one get no utf8 check.
var freeText = map[string]func(ev fixtures.Event, v string) string{
	"action_lifecycle": func(ev fixtures.Event, v string) string {
		ev.(*fixtures.ActionLifecycle).Note = v
		return "Note"
	},
	"action_inquiry": func(ev fixtures.Event, v string) string {
		ev.(*fixtures.ActionInquiry).InquiryNotes = v
		return "InquiryNotes"
	},
	"action_cleared": func(ev fixtures.Event, v string) string {
		ev.(*fixtures.ActionCleared).CampaignName = v
		return "CampaignName"
	},
	"tracking_value_request": func(ev fixtures.Event, v string) string {
		e := ev.(*fixtures.TrackingValueRequest)
		if len(e.Items) > 0 {
			e.Items[0].Name = v
		}
		return "items[0].name"
	},
	"publisher_application": func(ev fixtures.Event, v string) string {
		ev.(*fixtures.PublisherApplication).Name = v
		return "Name"
	},
}

// transport is one way impact sends a postback.
type transport struct {
	name, method, format string
}

var transports = []transport{
	{"get", http.MethodGet, mockimpact.FormatForm},
	{"post_json", http.MethodPost, mockimpact.FormatJSON},
	{"post_form", http.MethodPost, mockimpact.FormatForm},
}

// UsageError is a mistake in Options, reported before anything is sent.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// runner holds one battery's state.
type runner struct {
	o         Options
	client    *http.Client
	timeout   time.Duration
	slow      time.Duration
	clk       clock.Clock
	gen       *fixtures.ImpactGen
	transport []transport
}

// Run sends the battery to o.Target and returns the report. An error is a
// usage mistake (*UsageError) or a cancelled ctx; the receiver's failures
// are checks in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	r, err := newRunner(o)
	if err != nil {
		return nil, err
	}
	scale := o.TimeScale
	if scale <= 0 {
		scale = 1
	}
	seed := o.Seed
	if seed == 0 {
		seed = fixtures.DefaultSeed
	}
	rep := &Report{Target: o.Target, Method: o.Method, Events: r.events(), Seed: seed, TimeScale: scale,
		Date: r.clk.Now().UTC(), Version: o.Version}
	for _, name := range r.events() {
		for _, c := range r.eventChecks(ctx, name) {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("certify: %w", err)
			}
			rep.Checks = append(rep.Checks, c)
		}
	}
	rep.tally()
	return rep, nil
}

func newRunner(o Options) (*runner, error) {
	if err := mockimpact.CheckURL(strings.NewReplacer("{", "", "}", "").Replace(o.Target)); err != nil {
		return nil, &UsageError{fmt.Errorf("--target: %w", err)}
	}
	for _, e := range o.Events {
		if _, err := fixtures.LookupEvent(e); err != nil {
			return nil, &UsageError{fmt.Errorf("--event: %w", err)}
		}
	}
	r := &runner{o: o, timeout: mockimpact.DefaultTimeout, slow: SlowAnswer, clk: o.Clock}
	switch strings.ToUpper(o.Method) {
	case "":
		r.transport = transports
	case http.MethodGet:
		r.transport = transports[:1]
	case http.MethodPost:
		r.transport = transports[1:]
	default:
		return nil, &UsageError{fmt.Errorf("--method: %q: want GET or POST", o.Method)}
	}
	if o.TimeScale < 0 {
		return nil, &UsageError{fmt.Errorf("--time-scale: %v: want a positive factor", o.TimeScale)}
	}
	if o.TimeScale > 0 {
		r.timeout = time.Duration(float64(r.timeout) / o.TimeScale)
		r.slow = time.Duration(float64(r.slow) / o.TimeScale)
	}
	if r.clk == nil {
		r.clk = clock.Real{}
	}
	rt := o.Transport
	if rt == nil {
		rt = mockimpact.NewLiveTransport()
	}
	r.client = &http.Client{
		Transport: rt,
		// Timeout bounds the attempt on the wall clock on purpose: it is a
		// socket deadline (docs/DESIGN.md, Time).
		Timeout:       r.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	r.gen = fixtures.NewImpactGen(o.Seed, o.Now)
	return r, nil
}

// events lists the events to certify, in the table's order.
func (r *runner) events() []string {
	var out []string
	for _, spec := range fixtures.ImpactEvents() {
		if len(r.o.Events) == 0 || slices.Contains(r.o.Events, spec.Name) {
			out = append(out, spec.Name)
		}
	}
	return out
}

// eventChecks runs every check of one event.
func (r *runner) eventChecks(ctx context.Context, event string) []Check {
	var out []Check
	for _, v := range variantsOf(event) {
		for _, t := range r.transport {
			ev := v.gen(r.gen)
			out = append(out, r.deliver(ctx, event+"."+v.name+"."+t.name, t, mockimpact.Postback{}, ev, whyDelivery))
		}
	}
	// Idempotency: the same rendered request twice, as a retry after a
	// lost answer sends it.
	first := r.transport[0]
	if len(r.transport) > 1 {
		first = r.transport[1] // POST JSON, the default configuration
	}
	out = append(out, r.idempotent(ctx, event, first, variantsOf(event)[0].gen(r.gen)))
	if set, ok := freeText[event]; ok {
		for _, t := range r.transport {
			ev := variantsOf(event)[0].gen(r.gen)
			field := set(ev, TrickyText)
			c := r.deliver(ctx, event+".utf8."+t.name, t, mockimpact.Postback{}, ev, whyUTF8)
			r.checkEcho(&c, field)
			out = append(out, c)
		}
	}
	for _, t := range r.transport {
		if t.format == mockimpact.FormatForm && t.method == http.MethodPost {
			continue // the query and JSON cases cover a form body's parser
		}
		ev := variantsOf(event)[0].gen(r.gen)
		spec, _ := fixtures.LookupEvent(event)
		body := mockimpact.DefaultTemplate(spec, t.format)
		switch t.format {
		case mockimpact.FormatJSON:
			body = `{"CertifyUnknownField":"impact may add fields","CertifyUnknownObject":{"n":1},` + strings.TrimPrefix(strings.TrimSpace(body), "{")
		default:
			body = "CertifyUnknownField=impact+may+add+fields&" + body
		}
		name := "query"
		if t.method == http.MethodPost {
			name = "json"
		}
		out = append(out, r.deliver(ctx, event+".extra_fields."+name, t, mockimpact.Postback{Body: body}, ev, whyExtra))
	}
	return out
}

// render renders ev the way impact would for the transport t, with
// p's body template (empty: the default payload).
func (r *runner) render(t transport, p mockimpact.Postback, ev fixtures.Event) (*mockimpact.Rendered, error) {
	p.Event, p.URL, p.Method, p.Format, p.Success = ev.EventName(), r.o.Target, t.method, t.format, r.o.Success
	c, err := mockimpact.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("compile the %s postback: %w", t.name, err)
	}
	rd, err := c.Render(ev)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", ev.EventName(), err)
	}
	return rd, nil
}

// deliver sends one rendered event and judges the answer.
func (r *runner) deliver(ctx context.Context, id string, t transport, p mockimpact.Postback, ev fixtures.Event, why string) Check {
	c := Check{ID: id, Event: ev.EventName(), Why: why}
	rd, err := r.render(t, p, ev)
	if err != nil {
		c.Result, c.Detail, c.Outcome = Fail, err.Error(), mockimpact.OutcomeInvalidURL
		return c
	}
	c.Request = sentRequest(rd)
	ans := r.send(ctx, rd)
	c.Response = ans
	r.judge(&c, ans)
	return c
}

// judge sets c's outcome and result from one answer.
func (r *runner) judge(c *Check, ans *ReceivedAnswer) {
	c.Outcome, c.Result, c.Detail = r.classify(ans)
	if c.Result == Pass && ans.Latency > r.slow {
		c.Result = Warn
		c.Detail = fmt.Sprintf("answered in %v, over %v: slow answers time out under load (impact waits %v; docs/platforms.md#d-impact-timing)",
			ans.Latency, r.slow, r.timeout)
	}
}

// classify names the outcome and the verdict of one answer.
func (r *runner) classify(ans *ReceivedAnswer) (mockimpact.Outcome, Result, string) {
	var netErr error
	if ans.Error != "" {
		netErr = errors.New(ans.Error)
	}
	out := mockimpact.ClassifyAnswer(ans.Status, ans.full, netErr, r.o.Success, mockimpact.Matcher{})
	success := "any 2xx"
	if !r.o.Success.IsZero() {
		success = fmt.Sprintf("%q", r.o.Success.String())
	}
	switch out {
	case mockimpact.OutcomeDelivered:
		return out, Pass, ""
	case mockimpact.OutcomeNetworkError:
		return out, Fail, fmt.Sprintf("no answer: %s; impact retries it as a network_error (docs/platforms.md#classifying-an-attempt)", ans.Error)
	case mockimpact.OutcomeHTTPError:
		return out, Fail, fmt.Sprintf("answered HTTP %d: impact retries it as an http_error, on the 15-retry schedule (docs/platforms.md#the-retry-schedule)", ans.Status)
	}
	if ans.Status >= 300 && ans.Status < 400 {
		return out, Fail, fmt.Sprintf("answered HTTP %d (Location: %s): the receiver only works when redirects are followed; %s",
			ans.Status, ans.Headers["Location"], whyUnconfirmed)
	}
	return out, Fail, fmt.Sprintf("answered HTTP %d without the success response (%s); %s", ans.Status, success, whyUnconfirmed)
}

// idempotent sends the same request twice.
func (r *runner) idempotent(ctx context.Context, event string, t transport, ev fixtures.Event) Check {
	c := Check{ID: event + ".idempotent", Event: event, Why: whyIdempotent}
	rd, err := r.render(t, mockimpact.Postback{}, ev)
	if err != nil {
		c.Result, c.Detail, c.Outcome = Fail, err.Error(), mockimpact.OutcomeInvalidURL
		return c
	}
	c.Request = sentRequest(rd)
	c.Response = r.send(ctx, rd)
	r.judge(&c, c.Response)
	if c.Result == Fail {
		c.Detail = "first delivery: " + c.Detail
		return c
	}
	c.Second = r.send(ctx, rd)
	firstResult := c.Result
	r.judge(&c, c.Second)
	switch {
	case c.Result == Fail:
		c.Detail = "the same request again (a retry after a lost answer) was not answered with success: " + c.Detail
	case firstResult == Warn && c.Result == Pass:
		c.Result = Warn
	}
	return c
}

// checkEcho looks for the tricky text in an answer that echoes the value:
// an echo that lost characters shows the receiver mangles them.
func (r *runner) checkEcho(c *Check, field string) {
	if c.Response == nil || c.Result == Fail {
		if c.Result == Fail {
			c.Detail = fmt.Sprintf("with %s = %q: %s", field, TrickyText, c.Detail)
		}
		return
	}
	body := string(c.Response.full)
	const marker = "certify "
	i := strings.Index(body, marker)
	if i < 0 || strings.Contains(body, TrickyText) || strings.Contains(body, jsonEscaped(TrickyText)) {
		return
	}
	end := min(len(body), i+len(TrickyText)+16)
	c.Result = Warn
	c.Detail = fmt.Sprintf("the answer echoes %s altered: %q, sent %q; the receiver mangles the encoding", field, body[i:end], TrickyText)
}

func jsonEscaped(s string) string {
	return strings.NewReplacer(`"`, `\"`).Replace(s)
}

// echoHeaders are the answer headers a report keeps: the volatile ones
// (Date, Content-Length) would make reports differ run to run.
var echoHeaders = []string{"Content-Type", "Location", "Retry-After"}

// excerpt bounds the body kept in a report.
const excerpt = 512

// send sends rd and records the answer.
func (r *runner) send(ctx context.Context, rd *mockimpact.Rendered) *ReceivedAnswer {
	ans := &ReceivedAnswer{}
	req, err := rd.Request(ctx)
	if err != nil {
		ans.Error = err.Error()
		return ans
	}
	start := r.clk.Now()
	resp, err := r.client.Do(req)
	if err == nil {
		ans.full, err = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		ans.Status = resp.StatusCode
		for _, h := range echoHeaders {
			if v := resp.Header.Get(h); v != "" {
				if ans.Headers == nil {
					ans.Headers = map[string]string{}
				}
				ans.Headers[h] = v
			}
		}
	}
	ans.Latency = r.clk.Now().Sub(start)
	if err != nil {
		ans.Status = 0
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			msg = fmt.Sprintf("timeout: no answer within %v (mockimpact.DefaultTimeout", r.timeout)
			if r.o.TimeScale > 0 && r.o.TimeScale != 1 {
				msg += fmt.Sprintf(" / time-scale %g", r.o.TimeScale)
			}
			msg += ")"
		}
		ans.Error = msg
		return ans
	}
	ans.Body = string(ans.full)
	if len(ans.Body) > excerpt {
		ans.Body, ans.Truncated = strings.ToValidUTF8(ans.Body[:excerpt], ""), true
	}
	return ans
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func sentRequest(rd *mockimpact.Rendered) SentRequest {
	s := SentRequest{Method: rd.Method, URL: rd.URL, Body: rd.Body, Headers: map[string]string{}}
	for k, v := range rd.Header {
		s.Headers[k] = strings.Join(v, ", ")
	}
	return s
}

// tally counts the verdicts and the latency percentiles.
func (rep *Report) tally() {
	rep.Passed, rep.Warned, rep.Failed = 0, 0, 0
	lat := map[string][]time.Duration{}
	var order []string
	for _, c := range rep.Checks {
		switch c.Result {
		case Pass:
			rep.Passed++
		case Warn:
			rep.Warned++
		default:
			rep.Failed++
		}
		if _, ok := lat[c.Event]; !ok {
			order = append(order, c.Event)
		}
		for _, a := range []*ReceivedAnswer{c.Response, c.Second} {
			if a != nil && a.Error == "" {
				lat[c.Event] = append(lat[c.Event], a.Latency)
			}
		}
	}
	rep.Latency = nil
	for _, e := range order {
		l := lat[e]
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		rep.Latency = append(rep.Latency, EventLatency{Event: e, Count: len(l), P50: percentile(l, 50), P95: percentile(l, 95)})
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 · n)
	return sorted[max(rank, 1)-1]
}
