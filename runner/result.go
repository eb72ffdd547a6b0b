package runner

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is a scenario's result.
type Status string

// Statuses.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Invalid Status = "invalid"
)

// Result is one scenario's result.
type Result struct {
	// File is the scenario file.
	File string `json:"file"`
	// Name is the scenario's name.
	Name string `json:"name,omitempty"`
	// Kind is impact or ocean.
	Kind string `json:"kind,omitempty" jsonschema:"enum=impact,enum=ocean"`
	// Status is pass, fail or invalid.
	Status Status `json:"status" jsonschema:"enum=pass,enum=fail,enum=invalid"`
	// Failures are the checks that failed.
	Failures []Failure `json:"failures,omitempty"`
	// Skipped are the checks this run could not make (a live run cannot
	// see what the partner's receiver got).
	Skipped []SkippedCheck `json:"skipped,omitempty"`
	// Error is why the file is invalid, every problem with file:line:col.
	Error string `json:"error,omitempty"`
	// Errors are the same problems, one object each.
	Errors []FileError `json:"errors,omitempty"`
	// Timeline is what happened: each delivery's attempts (impact) or
	// each step (Ocean).
	Timeline *Timeline `json:"timeline,omitempty"`
	// Summary says in a few words what ran.
	Summary string `json:"summary,omitempty"`
	// Simulated is the virtual time the scenario covered, in nanoseconds.
	Simulated time.Duration `json:"simulated_ns"`
	// Elapsed is the real time it took (not in text or JSON reports, so
	// they stay identical run after run; JUnit reports it).
	Elapsed time.Duration `json:"-"`
}

// FileError is one problem that makes a scenario file invalid.
type FileError struct {
	// Line and Column locate the problem in the file (1-based; absent
	// when the problem has no position, such as an unreadable file).
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Path locates the value in the document, e.g.
	// ocean.steps[1].expect.code.
	Path string `json:"path,omitempty"`
	// Message says what is wrong, in words.
	Message string `json:"message"`
}

// Failure is one check that failed.
type Failure struct {
	// Path is where the expectation stands in the scenario file, e.g.
	// impact.expect.offsets, impact.deliveries[1].expect.outcome,
	// impact.expect.received[0].query.aid or ocean.steps[2].expect.code.
	Path string `json:"path"`
	// Message says what failed, in words.
	Message string `json:"message"`
	// Want is the expected value (null when the check has none).
	Want any `json:"want"`
	// Got is the value found (null when there was none).
	Got any `json:"got"`
	// text is the failure as the text report prints it (a diff).
	text string
}

// Text is the failure as the text report prints it: a -want +got diff
// for lists, the message with want and got otherwise.
func (f Failure) Text() string {
	if f.text != "" {
		return f.text
	}
	return f.Message
}

// String is Text.
func (f Failure) String() string { return f.Text() }

// SkippedCheck is a check a run could not make.
type SkippedCheck struct {
	// Path is the expectation in the scenario file, e.g.
	// impact.expect.received.
	Path string `json:"path"`
	// Reason says why it was not checked.
	Reason string `json:"reason"`
}

// Timeline is what a scenario did: Deliveries for impact, Steps for
// Ocean.
type Timeline struct {
	// Deliveries are the impact deliveries, in firing order.
	Deliveries []TimelineDelivery `json:"deliveries,omitempty"`
	// Steps are the Ocean steps as they ran (a repeated request once per
	// request).
	Steps []TimelineStep `json:"steps,omitempty"`
}

// TimelineDelivery is one impact delivery.
type TimelineDelivery struct {
	// ID is the delivery's id in the journal (d000001).
	ID string `json:"id"`
	// Event is the event type.
	Event string `json:"event"`
	// Method and URL are the rendered request's.
	Method string `json:"method"`
	URL    string `json:"url"`
	// Outcome is how the delivery ended.
	Outcome string `json:"outcome"`
	// Attempts are its attempts, in order.
	Attempts []TimelineAttempt `json:"attempts"`
}

// TimelineAttempt is one attempt of a delivery.
type TimelineAttempt struct {
	// N is the attempt's number, from 1.
	N int `json:"n"`
	// Offset is when it went out, counted from the first attempt ("15s").
	Offset string `json:"offset"`
	// OffsetNS is Offset in nanoseconds.
	OffsetNS int64 `json:"offset_ns"`
	// Outcome is how impact classified it.
	Outcome string `json:"outcome"`
	// Status is the HTTP status (0 when no answer came).
	Status int `json:"status,omitempty"`
	// Error is the network error kind (timeout, reset, …) or message.
	Error string `json:"error,omitempty"`
	// Body is the start of the answer's body.
	Body string `json:"body,omitempty"`
}

// TimelineStep is one Ocean step (one request of a repeated one).
type TimelineStep struct {
	// N is the step's number in the file, from 1.
	N int `json:"n"`
	// Name is the step's name, if it has one.
	Name string `json:"name,omitempty"`
	// Action is request, fault, clear_faults or advance.
	Action string `json:"action" jsonschema:"enum=request,enum=fault,enum=clear_faults,enum=advance"`
	// Request is the request's number within a repeated step, from 1.
	Request int `json:"request,omitempty"`
	// Status is the HTTP status answered.
	Status int `json:"status,omitempty"`
	// Body is the answer's body.
	Body string `json:"body,omitempty"`
	// Dropped: the connection was dropped without an answer.
	Dropped bool `json:"dropped,omitempty"`
	// Detail and Warnings are the journal's view of the request.
	Detail   string   `json:"detail,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Fault is the id of the fault rule added.
	Fault string `json:"fault,omitempty"`
	// Advance is how far the clock moved ("24h0m0s").
	Advance string `json:"advance,omitempty"`
	// Error is why the step could not run.
	Error string `json:"error,omitempty"`
}

// String writes the timeline as the text report shows it.
func (t *Timeline) String() string {
	if t == nil {
		return ""
	}
	var b strings.Builder
	for _, d := range t.Deliveries {
		fmt.Fprintf(&b, "%s %s → %s %s: %s\n", d.ID, d.Event, d.Method, d.URL, d.Outcome)
		tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
		for _, a := range d.Attempts {
			answer := fmt.Sprint(a.Status)
			if a.Error != "" {
				answer = a.Error
			}
			if a.Body != "" {
				answer += fmt.Sprintf(" %q", a.Body)
			}
			fmt.Fprintf(tw, "  #%d\t+%s\t%s\t%s\n", a.N, a.Offset, a.Outcome, answer)
		}
		tw.Flush()
	}
	for _, s := range t.Steps {
		label := fmt.Sprintf("step %d", s.N)
		if s.Name != "" {
			label += " (" + s.Name + ")"
		}
		switch {
		case s.Error != "":
			fmt.Fprintf(&b, "%s: %s\n", label, s.Error)
		case s.Action == "fault":
			fmt.Fprintf(&b, "%s: fault %s added\n", label, s.Fault)
		case s.Action == "clear_faults":
			fmt.Fprintf(&b, "%s: faults cleared\n", label)
		case s.Action == "advance":
			fmt.Fprintf(&b, "%s: clock advanced %s\n", label, s.Advance)
		case s.Dropped:
			fmt.Fprintf(&b, "%s: connection dropped\n", label)
		default:
			line := fmt.Sprintf("HTTP %d %s", s.Status, strings.TrimSpace(s.Body))
			if s.Detail != "" {
				line += " — " + s.Detail
			}
			for _, w := range s.Warnings {
				line += " [warning: " + w + "]"
			}
			fmt.Fprintf(&b, "%s: %s\n", label, line)
		}
	}
	return b.String()
}
