package mockimpact

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/clock"
)

// Faults a scripted receiver can play.
const (
	FaultTimeout  = "timeout"
	FaultReset    = "reset"
	FaultRefused  = "refused"
	FaultDNS      = "dns"
	FaultSlowBody = "slow_body"
)

// FaultKind is one row of the table of faults a scripted receiver plays.
type FaultKind struct {
	// Name is the fault as a step names it.
	Name string `json:"name"`
	// Does says what the receiver does instead of answering.
	Does string `json:"does"`
}

// faults is the table of scripted faults: the only list.
var faults = [...]FaultKind{
	{FaultTimeout, "no answer before the attempt's timeout"},
	{FaultReset, "the connection is reset after the request arrives"},
	{FaultRefused, "the connection is refused"},
	{FaultDNS, "the host does not resolve"},
	{FaultSlowBody, "status and headers arrive, the body never finishes"},
}

// Faults returns a copy of the table of faults a scripted receiver can
// play.
func Faults() []FaultKind { return slices.Clone(faults[:]) }

// FaultNames returns the names of the scripted faults, in table order.
func FaultNames() []string {
	out := make([]string, len(faults))
	for i, f := range faults {
		out[i] = f.Name
	}
	return out
}

// Step is what a scripted receiver does for one attempt.
type Step struct {
	// Status is the HTTP status (default 200).
	Status int `json:"status,omitempty" yaml:"status,omitempty"`
	// Body is the response body.
	Body string `json:"body,omitempty" yaml:"body,omitempty"`
	// Headers are response headers.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// Delay is how long the receiver takes to answer; a delay at or over
	// the attempt's timeout is a timeout.
	Delay clock.Duration `json:"delay,omitempty" yaml:"delay,omitempty"`
	// Fault replaces the answer with one of the scripted faults.
	Fault string `json:"fault,omitempty" yaml:"fault,omitempty"`
}

// Validate checks the step's fields. Each error's text starts with the
// name of the field at fault (fault, status, delay).
func (s Step) Validate() error {
	if s.Fault != "" {
		if names := FaultNames(); !slices.Contains(names, s.Fault) {
			return fmt.Errorf("fault %q: want one of %s", s.Fault, strings.Join(names, ", "))
		}
	}
	if s.Status != 0 && (s.Status < MinStatus || s.Status > MaxStatus) {
		return fmt.Errorf("status %d: want %d–%d", s.Status, MinStatus, MaxStatus)
	}
	if s.Delay < 0 {
		return fmt.Errorf("delay %v is negative", s.Delay)
	}
	return nil
}

// String writes the step the way ParseSteps reads it.
func (s Step) String() string {
	switch {
	case s.Fault != "":
		return s.Fault
	case s.Body != "":
		return fmt.Sprintf("%d:%s", s.status(), s.Body)
	}
	return strconv.Itoa(s.status())
}

func (s Step) status() int {
	if s.Status == 0 {
		return http.StatusOK
	}
	return s.Status
}

// ParseSteps reads a comma-separated list of steps: a status (500),
// STATUS:BODY (200:ERROR), or a fault (FaultNames).
func ParseSteps(list string) ([]Step, error) {
	var steps []Step
	for i, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		var st Step
		code, body, hasBody := strings.Cut(item, ":")
		if n, err := strconv.Atoi(code); err == nil {
			st.Status, st.Body = n, body
			if hasBody && body == "" {
				return nil, fmt.Errorf("response %d %q: empty body after ':'", i+1, item)
			}
		} else {
			st.Fault = item
		}
		if err := st.Validate(); err != nil {
			return nil, fmt.Errorf("response %d %q: %w", i+1, item, err)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// Script is an in-memory receiver that answers each delivery's attempt N
// with step N (the last step repeating); ForDelivery gives one delivery
// steps of its own. It is a Simulator (no sockets: delays and timeouts
// cost virtual time only) and a Resolver (the dns fault). It records what
// it received. Safe for concurrent use.
type Script struct {
	steps   []Step
	mu      sync.Mutex
	own     map[string][]Step // by delivery id
	got     []Received
	discard bool
}

// ForDelivery makes the delivery with this id play steps instead of the
// script's own (none means always 200). Call it before the delivery's
// first attempt: on a virtual clock, between Fire and advancing the clock.
func (s *Script) ForDelivery(id string, steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.own == nil {
		s.own = map[string][]Step{}
	}
	s.own[id] = steps
}

// Discard stops the script from keeping what it receives (for load runs,
// where the journal is what matters).
func (s *Script) Discard() {
	s.mu.Lock()
	s.discard, s.got = true, nil
	s.mu.Unlock()
}

// Received is one request as the scripted receiver got it.
type Received struct {
	Attempt AttemptInfo `json:"attempt"`
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Path    string      `json:"path"`
	Query   string      `json:"query,omitempty"`
	Header  http.Header `json:"headers"`
	Body    string      `json:"body,omitempty"`
}

// NewScript returns a receiver playing steps (none means always 200).
func NewScript(steps ...Step) *Script { return &Script{steps: steps} }

// Received returns the requests received so far, in order.
func (s *Script) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

func (s *Script) step(ctx context.Context) Step {
	steps, n := s.steps, 1
	if a, ok := AttemptFromContext(ctx); ok {
		n = a.N
		s.mu.Lock()
		if own, ok := s.own[a.DeliveryID]; ok {
			steps = own
		}
		s.mu.Unlock()
	}
	if len(steps) == 0 {
		return Step{}
	}
	return steps[min(n, len(steps))-1]
}

// LookupHost fails with "no such host" when this attempt's step is the
// dns fault, and resolves every host to 127.0.0.1 otherwise.
func (s *Script) LookupHost(ctx context.Context, host string) ([]string, error) {
	if s.step(ctx).Fault == FaultDNS {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []string{"127.0.0.1"}, nil
}

// RoundTrip answers at once (delays are not waited for; use Simulate).
func (s *Script) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, _, err := s.Simulate(req, time.Duration(1<<62))
	return resp, err
}

// Simulate answers req as its attempt's step says, with the time it takes.
func (s *Script) Simulate(req *http.Request, timeout time.Duration) (*http.Response, time.Duration, error) {
	st := s.step(req.Context())
	delay := st.Delay.D()
	switch st.Fault {
	case FaultRefused:
		return nil, delay, fmt.Errorf("dial tcp %s: %w", req.URL.Host, ErrRefused)
	case FaultDNS:
		return nil, 0, &net.DNSError{Err: "no such host", Name: req.URL.Hostname(), IsNotFound: true}
	}
	s.record(req)
	switch {
	case st.Fault == FaultReset:
		return nil, min(delay, timeout), fmt.Errorf("read: %w", ErrReset)
	case st.Fault == FaultTimeout, st.Fault == FaultSlowBody, delay >= timeout:
		return nil, timeout, fmt.Errorf("no complete response in %v: %w", timeout, ErrTimeout)
	}
	resp := &http.Response{
		StatusCode: st.status(), Status: fmt.Sprintf("%d %s", st.status(), http.StatusText(st.status())),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: req,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader(st.Body)), ContentLength: int64(len(st.Body)),
	}
	for k, v := range st.Headers {
		resp.Header.Set(k, v)
	}
	return resp, delay, nil
}

func (s *Script) record(req *http.Request) {
	s.mu.Lock()
	discard := s.discard
	s.mu.Unlock()
	if discard {
		return
	}
	r := Received{Method: req.Method, URL: req.URL.String(), Path: req.URL.Path, Query: req.URL.RawQuery, Header: req.Header.Clone()}
	r.Attempt, _ = AttemptFromContext(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		var b strings.Builder
		b.Grow(int(req.ContentLength))
		_, _ = io.Copy(&b, req.Body)
		r.Body = b.String()
	}
	s.mu.Lock()
	s.got = append(s.got, r)
	s.mu.Unlock()
}
