package mockocean

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/suggest"
)

// Fault is a rule that makes the emulator misbehave on purpose, to test an
// uploader's retry logic. A matching request gets the fault's answer
// instead of the normal one: an HTTP status, a dropped connection, a
// malformed body, or a chosen code/msg, each optionally after a delay. A
// fault with only a delay delays the normal answer.
type Fault struct {
	// ID names the rule; assigned by InjectFault when empty.
	ID string `json:"id" yaml:"id,omitempty"`
	// API selects the requests of one conversion API: track
	// (/track/activate/) or v2 (/api/v2/conversion); empty selects both.
	API string `json:"api,omitempty" yaml:"api,omitempty"`
	// Match selects requests whose parameters equal these values; empty
	// matches every request. A v2 request's parameters are its body's
	// fields by path (event_type, context.ad.callback, outer_event_id …).
	Match map[string]string `json:"match,omitempty" yaml:"match,omitempty"`
	// Times is how many matching requests the rule answers; 0 means every
	// one.
	Times int `json:"times,omitempty" yaml:"times,omitempty"`
	// Probability, when in (0,1), makes the rule answer a matching request
	// with that chance, drawn from a generator seeded with Seed; 0 means
	// always.
	Probability float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
	Seed        uint64  `json:"seed,omitempty" yaml:"seed,omitempty"`

	// Delay waits this long before answering ("1.5s" in JSON).
	Delay clock.Duration `json:"delay,omitempty" yaml:"delay,omitempty"`
	// Status answers with this HTTP status and Body.
	Status int    `json:"status,omitempty" yaml:"status,omitempty"`
	Body   string `json:"body,omitempty" yaml:"body,omitempty"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty" yaml:"drop,omitempty"`
	// Malformed answers HTTP 200 with a truncated JSON body.
	Malformed bool `json:"malformed,omitempty" yaml:"malformed,omitempty"`
	// Code and Msg answer HTTP 200 with this code/msg (code/message on
	// v2). Msg defaults to the catalog's message for Code: the
	// /track/activate/ catalog's, or the v2 catalog's for its codes.
	Code int    `json:"code,omitempty" yaml:"code,omitempty"`
	Msg  string `json:"msg,omitempty" yaml:"msg,omitempty"`

	// Hits counts the requests the rule has answered (read-only).
	Hits int `json:"hits" yaml:"-"`
}

// Validate checks that f does one thing, with sane numbers, and that its
// match keys are not misspelt parameter names.
func (f *Fault) Validate() error {
	actions := 0
	for _, on := range []bool{f.Status != 0, f.Drop, f.Malformed, f.Code != 0 || f.Msg != ""} {
		if on {
			actions++
		}
	}
	switch {
	case f.Delay < 0:
		return fmt.Errorf("fault: field delay: %v is negative", f.Delay)
	case actions > 1:
		return errors.New("fault: set only one of status, drop, malformed, code/msg")
	case actions == 0 && f.Delay == 0:
		return errors.New("fault: set one of status, drop, malformed, code/msg or delay")
	case f.Msg != "" && f.Code == 0:
		return fmt.Errorf("fault: field msg: %q needs a non-zero code: code 0 answers success, which a fault cannot fake", f.Msg)
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("fault: field status: %d is not an HTTP status", f.Status)
	case f.Times < 0:
		return fmt.Errorf("fault: field times: %d is negative", f.Times)
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("fault: field probability: %v is not in [0, 1]", f.Probability)
	case f.API != "" && f.API != APITrack && f.API != APIV2:
		return fmt.Errorf("fault: field api: %q: want %s, %s or nothing (both)", f.API, APITrack, APIV2)
	}
	known := make([]string, 0, len(params)+len(v2Fields))
	for _, p := range params {
		known = append(known, p.Name)
	}
	for _, f := range v2Fields {
		known = append(known, f.Path)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Match)) {
		if slices.Contains(known, k) {
			continue
		}
		// A parameter of the partner's own is fine; one typo away from a
		// documented one (a letter in four) would never match.
		if best, ok := suggest.Closest(k, known); ok && suggest.Distance(k, best) <= max(1, len(k)/4) {
			return fmt.Errorf("fault: field match: %q is not a parameter (did you mean %q?)", k, best)
		}
	}
	return nil
}

// Check validates f as Validate does and fills in what the rule implies:
// the catalog's message for a Code without a Msg (the /track/activate/
// catalog's, or the v2 catalog's for its codes), no Hits. A State stores
// rules that passed it.
func (f *Fault) Check() error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.Code != 0 && f.Msg == "" {
		if r, ok := ruleByCode[f.Code]; ok {
			f.Msg = r.Msg
		} else if r, ok := v2RuleByCode[f.Code]; ok {
			f.Msg = r.Message
		}
	}
	f.Hits = 0
	return nil
}

// Matches reports whether a request to api (APITrack or APIV2) with these
// parameters is one f selects: its API, when f names one, and every
// value of f.Match equal (an empty Match selects every request).
func (f *Fault) Matches(api string, values map[string]string) bool {
	if f.API != "" && f.API != api {
		return false
	}
	for k, v := range f.Match {
		if values[k] != v {
			return false
		}
	}
	return true
}

// ProbabilityStream is the sequence of numbers in [0, 1) a process draws,
// one per matching request, to decide whether a rule with a Probability
// fires: the same sequence from the same Seed, so a run is repeatable.
func (f *Fault) ProbabilityStream() *rand.Rand {
	return rand.New(rand.NewPCG(f.Seed, 0x6f6365616e))
}

// faultSet holds the rules in the order they were added; the first that
// matches and fires answers.
type faultSet struct {
	mu    sync.Mutex
	next  int
	rules []*faultRule
	count atomic.Int32 // len(rules), read without the lock
}

type faultRule struct {
	Fault
	rng *rand.Rand
}

// any reports whether a rule exists.
func (s *faultSet) any() bool { return s.count.Load() > 0 }

// add stores f, which passed Check.
func (s *faultSet) add(f Fault) (Fault, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	if f.ID == "" {
		f.ID = fmt.Sprintf("f%d", s.next)
	}
	for _, r := range s.rules {
		if r.ID == f.ID {
			return Fault{}, fmt.Errorf("fault: field id: %q is already in use", f.ID)
		}
	}
	f.Hits = 0
	s.rules = append(s.rules, &faultRule{Fault: f, rng: f.ProbabilityStream()})
	s.count.Store(int32(len(s.rules)))
	return f, nil
}

// pick returns the first rule that matches values and fires, counting the
// hit.
func (s *faultSet) pick(api string, values map[string]string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rules {
		if r.Times > 0 && r.Hits >= r.Times {
			continue
		}
		if !r.Matches(api, values) {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && r.rng.Float64() >= r.Probability {
			continue
		}
		r.Hits++
		return r.Fault, true
	}
	return Fault{}, false
}

func (s *faultSet) list() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.Fault
	}
	return out
}

func (s *faultSet) remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rules {
		if r.ID == id {
			s.rules = append(s.rules[:i], s.rules[i+1:]...)
			s.count.Store(int32(len(s.rules)))
			return true
		}
	}
	return false
}

func (s *faultSet) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
	s.count.Store(0)
}

// malformedBody is what a Malformed fault answers: JSON cut short.
const malformedBody = `{"code":0,"ret":0,"msg":"succ`

// faultStatus reports the HTTP status f answers with (0 for a dropped
// connection) and whether the normal answer follows (a delay-only fault).
func faultStatus(f Fault) (status int, proceed bool) {
	switch {
	case f.Drop:
		return 0, false
	case f.Status != 0:
		return f.Status, false
	case f.Malformed, f.Code != 0 || f.Msg != "":
		return http.StatusOK, false
	}
	return 0, true
}

// writeFault writes f's answer to the request journaled as e (a code/msg
// fault in its API's shape); a Drop fault writes nothing.
func writeFault(w http.ResponseWriter, f Fault, e *Entry) {
	switch {
	case f.Status != 0:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.Status)
		body := f.Body
		if body == "" {
			body = http.StatusText(f.Status)
		}
		_, _ = w.Write([]byte(body))
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(malformedBody))
	case f.Code != 0 || f.Msg != "":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if e.Raw.API == APIV2 {
			_, _ = w.Write(renderV2Answer(f.Code, f.Msg, v2RequestID(e)))
			return
		}
		_, _ = w.Write(answerBody(f.Code, f.Msg))
	}
}
