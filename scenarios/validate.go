package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/suggest"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
	"github.com/postbacksim/postbacksim/mockocean"
)

// ReceiverPlaceholder in a postback URL stands for the receiver's base URL.
const ReceiverPlaceholder = "{receiver}"

// ScriptedReceiverURL is the base URL of the scripted receiver.
const ScriptedReceiverURL = "https://receiver.example"

type validator struct {
	*walker
}

// at reports an error at path's position (or its nearest known parent's).
func (v *validator) at(path, format string, a ...any) {
	e := &Error{File: v.file, Path: path, Msg: fmt.Sprintf(format, a...)}
	if _, scalar := v.nodes[path]; !scalar {
		if pos, ok := v.pos[path+"#key"]; ok { // a block is best pointed at by its key
			e.Line, e.Col = pos.line, pos.col
			v.add(e)
			return
		}
	}
	for p := path; ; {
		if pos, ok := v.pos[p]; ok {
			e.Line, e.Col = pos.line, pos.col
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			if pos, ok := v.pos[""]; ok {
				e.Line, e.Col = pos.line, pos.col
			}
			break
		}
		p = p[:i]
	}
	v.add(e)
}

// add records e once: a shared field checked for each delivery that
// inherits it is reported a single time.
func (v *validator) add(e *Error) {
	for _, seen := range v.errs {
		if *seen == *e {
			return
		}
	}
	v.errs = append(v.errs, e)
}

func oneOf(value string, valid []string) string {
	if best, ok := suggest.Closest(value, valid); ok {
		return fmt.Sprintf("%q is not valid (did you mean %q?)", value, best)
	}
	return fmt.Sprintf("%q is not valid (want one of %s)", value, strings.Join(valid, ", "))
}

// enumKeys are the keys whose values come from a table; an empty value
// there is a mistake (leaving the key out picks the default).
var enumKeys = []string{"event", "method", "format", "fault", "outcome", "encoding"}

// emptyChoices reports keys from enumKeys set to "" (quoted), except the
// free-form method override of an Ocean request and map entries (a query
// parameter named method).
func (v *validator) emptyChoices() {
	for path, n := range v.nodes {
		s, ok := n.(*ast.StringNode)
		if !ok || s.Value != "" || !v.fields[path] || strings.HasSuffix(path, ".request.method") {
			continue
		}
		key := path[strings.LastIndexAny(path, ".")+1:]
		if slices.Contains(enumKeys, key) && path != "impact.event" {
			v.at(path, "empty: leave %s out for its default, or name one", key)
		}
	}
}

func (v *validator) scenario(sc *Scenario) {
	v.emptyChoices()
	if strings.TrimSpace(sc.Name) == "" {
		v.at("name", "missing: every scenario needs a name")
	}
	switch {
	case sc.Impact == nil && sc.Ocean == nil:
		v.at("", "missing impact or ocean: say what the scenario exercises")
	case sc.Impact != nil && sc.Ocean != nil:
		v.at("ocean", "a scenario has impact or ocean, not both: split it into two files")
	case sc.Impact != nil:
		v.impact(sc.Impact)
	default:
		v.ocean(sc.Ocean)
	}
}

// deliveryOutcomes are the delivery outcomes a scenario can expect: the
// final ones of mockimpact's table.
func deliveryOutcomes() []string {
	var out []string
	for _, d := range mockimpact.DeliveryOutcomes() {
		if d.Final {
			out = append(out, string(d.Outcome))
		}
	}
	return out
}

// attemptOutcomes are the attempt outcomes, in classification order.
func attemptOutcomes() []string {
	var out []string
	for _, o := range mockimpact.Outcomes() {
		out = append(out, string(o.Outcome))
	}
	return out
}

func (v *validator) impact(im *Impact) {
	const p = "impact"
	if _, err := fixtures.LookupEvent(im.Event); err != nil {
		names := fixtures.ImpactEventNames()
		if im.Event == "" {
			v.at(p+".event", "missing: name the event (%s)", strings.Join(names, ", "))
		} else {
			v.at(p+".event", "%s", oneOf(im.Event, names))
		}
		return
	}
	if err := fixtures.CheckStatus(im.Event, im.Status); err != nil {
		v.at(p+".status", "%v", err)
	}
	if im.Postback.Event != "" && im.Postback.Event != im.Event {
		v.at(p+".postback.event", "%q differs from impact.event %q (leave it out)", im.Postback.Event, im.Event)
	}
	im.Postback.Event = im.Event
	if im.Fire < 0 {
		v.at(p+".fire", "%d is negative", im.Fire)
	}
	if im.Fire == 0 {
		im.Fire = max(1, len(im.Deliveries))
	}
	if len(im.Deliveries) > im.Fire {
		v.at(p+".deliveries", "%d entries, but fire is %d: one entry per fired event at most", len(im.Deliveries), im.Fire)
	}
	probe := im.Postback
	// A stand-in as long as the placeholder keeps template columns true.
	probe.URL = strings.ReplaceAll(probe.URL, ReceiverPlaceholder, "http://r.x")
	if _, err := mockimpact.Compile(probe); err != nil {
		v.postbackError(p+".postback", err)
	}
	v.steps(p+".receiver", im.Receiver)
	for i, d := range im.Deliveries {
		v.steps(fmt.Sprintf("%s.deliveries[%d].receiver", p, i), d.Receiver)
	}
	v.impactExpect(im)
}

// steps checks a scripted receiver.
func (v *validator) steps(path string, steps []mockimpact.Step) {
	for i, st := range steps {
		if err := st.Validate(); err != nil {
			field, _, _ := strings.Cut(err.Error(), " ") // Validate's errors start with the field's name
			v.at(fmt.Sprintf("%s[%d].%s", path, i, field), "%v", err)
		}
		if st.Fault != "" && (st.Status != 0 || st.Body != "") {
			v.at(fmt.Sprintf("%s[%d]", path, i), "fault %q sends no answer: drop status and body", st.Fault)
		}
	}
}

func (v *validator) impactExpect(im *Impact) {
	const p = "impact.expect"
	e := im.Expect
	anyDelivery := false
	for _, d := range im.Deliveries {
		anyDelivery = anyDelivery || !d.Expect.empty()
	}
	if e.DeliveryExpect.empty() && e.FirstAttemptAt == nil && e.Received == nil && !anyDelivery {
		v.at(p, "nothing to check: state at least outcome, attempts, offsets, outcomes, first_attempt_at or received")
		return
	}
	v.deliveryExpect(e.DeliveryExpect, func(field string) string { return p + "." + field })
	for i, d := range im.Deliveries {
		if d.Expect.empty() {
			continue
		}
		// The merged expectation: each error is put where its field is set.
		own := fmt.Sprintf("impact.deliveries[%d].expect", i)
		v.deliveryExpect(im.ExpectFor(i), func(field string) string {
			root, _, _ := strings.Cut(field, "[")
			if _, set := v.pos[own+"."+root]; set {
				return own + "." + field
			}
			return p + "." + field
		})
	}
	v.sharedExpect(im)
}

// deliveryExpect checks what must happen to one delivery; path names
// the file path of a field (outcome, offsets[2], …).
func (v *validator) deliveryExpect(e DeliveryExpect, path func(field string) string) {
	if valid := deliveryOutcomes(); e.Outcome != "" && !slices.Contains(valid, e.Outcome) {
		v.at(path("outcome"), "%s", oneOf(e.Outcome, valid))
	}
	if e.Attempts < 0 || e.Attempts > mockimpact.MaxAttempts {
		v.at(path("attempts"), "%d is impossible: a delivery makes 1 to %d attempts (%d retries)", e.Attempts, mockimpact.MaxAttempts, mockimpact.MaxAttempts-1)
	}
	n := e.Attempts
	for _, l := range []struct {
		name string
		len  int
	}{{"offsets", len(e.Offsets)}, {"outcomes", len(e.Outcomes)}} {
		switch {
		case l.len > mockimpact.MaxAttempts:
			v.at(path(l.name), "%d entries: a delivery makes at most %d attempts", l.len, mockimpact.MaxAttempts)
		case l.len > 0 && n > 0 && l.len != n:
			v.at(path(l.name), "%d entries, but attempts is %d", l.len, n)
		case l.len > 0 && n == 0:
			n = l.len
		}
	}
	for i, d := range e.Offsets {
		switch {
		case i == 0 && d != 0:
			v.at(path("offsets[0]"), "%v: offsets count from the first attempt, so the first is 0s", d)
		case i > 0 && i < mockimpact.MaxAttempts && d.D()-e.Offsets[i-1].D() < mockimpact.RetryDelay(i):
			v.at(path(fmt.Sprintf("offsets[%d]", i)), "%v is impossible: retry %d waits %v after attempt %d (at %v) ends",
				d, i, mockimpact.RetryDelay(i), i, e.Offsets[i-1])
		}
	}
	valid := attemptOutcomes()
	for i, o := range e.Outcomes {
		at := path(fmt.Sprintf("outcomes[%d]", i))
		if !slices.Contains(valid, o) {
			v.at(at, "%s", oneOf(o, valid))
			continue
		}
		retries := mockimpact.Outcome(o).Retries()
		last := i == len(e.Outcomes)-1
		switch {
		case !retries && !last:
			v.at(at, "%s is final, yet %d more attempt(s) follow", o, len(e.Outcomes)-1-i)
		case retries && last && len(e.Outcomes) < mockimpact.MaxAttempts && n == len(e.Outcomes) && e.Attempts > 0:
			v.at(at, "%s is retried, so attempt %d cannot be the last", o, i+1)
		}
	}
	if len(e.Outcomes) > 0 && e.Outcome != "" {
		last := mockimpact.Outcome(e.Outcomes[len(e.Outcomes)-1])
		want := mockimpact.EndOf(last, len(e.Outcomes))
		if want != mockimpact.DeliveryPending && string(want) != e.Outcome {
			v.at(path("outcome"), "%q contradicts outcomes, whose last attempt (%s) ends the delivery as %q", e.Outcome, last, want)
		}
	}
}

// sharedExpect checks the expectations that span deliveries.
func (v *validator) sharedExpect(im *Impact) {
	const p = "impact.expect"
	e := im.Expect
	if len(e.FirstAttemptAt) > im.Fire {
		v.at(p+".first_attempt_at", "%d entries for %d fired event(s)", len(e.FirstAttemptAt), im.Fire)
	}
	for i, d := range e.FirstAttemptAt {
		if d < im.Postback.MinDelay {
			v.at(fmt.Sprintf("%s.first_attempt_at[%d]", p, i), "%v is impossible: min_delay is %v", d, im.Postback.MinDelay)
		}
	}
	for i, r := range e.Received {
		path := fmt.Sprintf("%s.received[%d]", p, i)
		if r.Delivery < 0 {
			v.at(path+".delivery", "%d is negative: deliveries count from 1", r.Delivery)
		}
		if r.Delivery > maxDeliveries(im) {
			v.at(path+".delivery", "%d, but only %d event(s) are fired", r.Delivery, im.Fire)
		}
		if r.Attempt < 0 || r.Attempt > mockimpact.MaxAttempts {
			v.at(path+".attempt", "%d: want 1–%d, or 0 for every attempt", r.Attempt, mockimpact.MaxAttempts)
		}
		if methods := mockimpact.Methods(); r.Method != "" && !slices.Contains(methods, r.Method) {
			v.at(path+".method", "%q: impact sends %s", r.Method, strings.Join(methods, " or "))
		}
		v.receivedMacros(im.Event, path, r)
	}
}

// receivedMacros checks the macros of a received expectation's values
// against the event's fields, as the run renders them: a typo is an
// error at its line and column, with the nearest field, not a failed
// run that blames the receiver.
func (v *validator) receivedMacros(event, path string, r ReceivedExpect) {
	spec, err := fixtures.LookupEvent(event)
	if err != nil {
		return // impact.event's own error
	}
	typ := reflect.TypeOf(spec.New())
	check := func(field, value string) {
		if !strings.Contains(value, "{") {
			return
		}
		_, err := macro.Compile("expected value", value, macro.Header, typ)
		var me *macro.Error
		if !errors.As(err, &me) {
			return
		}
		if line, col, ok := v.templatePos(field, me.Pos.Line, me.Pos.Col); ok {
			v.errs = append(v.errs, &Error{File: v.file, Line: line, Col: col, Path: field, Msg: me.Msg})
			return
		}
		v.at(field, "%s (at %s in the value)", me.Msg, me.Pos)
	}
	check(path+".path", r.Path)
	for _, m := range []struct {
		name string
		kv   map[string]string
	}{{"query", r.Query}, {"headers", r.Headers}, {"form", r.Form}} {
		for _, k := range slices.Sorted(maps.Keys(m.kv)) {
			check(path+"."+m.name+"."+k, m.kv[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.JSON)) {
		if s, ok := r.JSON[k].(string); ok {
			check(path+".json."+k, s)
		}
	}
}

// postbackError reports a configuration error; a template error is put
// at its own line and column in the file when the template can be traced.
func (v *validator) postbackError(path string, err error) {
	var ce *mockimpact.ConfigError
	if !errors.As(err, &ce) {
		v.at(path, "%v", err)
		return
	}
	field := path + "." + ce.Field
	var me *macro.Error
	if errors.As(ce.Err, &me) {
		if name, ok := strings.CutPrefix(me.Template, "header "); ok {
			field = path + ".headers." + name
		}
		if line, col, ok := v.templatePos(field, me.Pos.Line, me.Pos.Col); ok {
			v.errs = append(v.errs, &Error{File: v.file, Line: line, Col: col, Path: field, Msg: me.Msg})
			return
		}
		v.at(field, "%s (at %s in the template)", me.Msg, me.Pos)
		return
	}
	v.at(field, "%v", ce.Err)
}

// templatePos maps a position in a template to the file: for a one-line
// scalar (plain or quoted without escapes before the column) and for a
// literal block (|).
func (v *validator) templatePos(path string, tline, tcol int) (int, int, bool) {
	switch n := v.nodes[path].(type) {
	case *ast.StringNode:
		tk := n.GetToken()
		if tline != 1 || strings.Contains(n.Value, "\n") {
			return 0, 0, false
		}
		col := tk.Position.Column + tcol - 1
		if tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType {
			col++
			if strings.ContainsAny(n.Value[:min(tcol, len(n.Value))], "\\'") {
				return 0, 0, false // escapes shift columns
			}
		}
		return tk.Position.Line, col, true
	case *ast.LiteralNode:
		first := n.Start.Position.Line + 1 // content starts below the | indicator
		line := first + tline - 1
		if first-1 >= len(v.lines) || line-1 >= len(v.lines) {
			return 0, 0, false
		}
		indent := len(v.lines[first-1]) - len(strings.TrimLeft(v.lines[first-1], " "))
		return line, indent + tcol, true
	}
	return 0, 0, false
}

// encodings are the ways an Ocean scenario request is sent: query (GET),
// form and json (POST).
var encodings = []string{"query", "form", "json"}

// apis are the conversion APIs an Ocean scenario request goes to.
var apis = []string{mockocean.APITrack, mockocean.APIV2}

func (v *validator) ocean(o *Ocean) {
	const p = "ocean"
	if o.Lenient && o.Strict {
		v.at(p+".lenient", "goes with strict: choose one (lenient accepts more than the default, strict less)")
	}
	if len(o.Steps) == 0 {
		v.at(p+".steps", "no steps: list the requests to send")
	}
	faultCodes := map[int]bool{}
	for _, st := range o.Steps {
		if st.Fault != nil && st.Fault.Code != 0 {
			faultCodes[st.Fault.Code] = true
		}
	}
	for i, st := range o.Steps {
		path := fmt.Sprintf("%s.steps[%d]", p, i)
		actions := 0
		for _, set := range []bool{st.Request != nil, st.Fault != nil, st.ClearFaults, st.Advance != 0} {
			if set {
				actions++
			}
		}
		if actions != 1 {
			v.at(path, "set exactly one of request, fault, clear_faults, advance (found %d)", actions)
			continue
		}
		if st.Request == nil && (st.Expect != nil || st.ExpectFirst != nil || st.Repeat != 0) {
			v.at(path, "expect, expect_first and repeat go with a request")
		}
		if st.Fault != nil {
			f := *st.Fault
			if err := f.Validate(); err != nil {
				v.at(path+".fault", "%s", strings.TrimPrefix(err.Error(), "fault: "))
			}
		}
		if st.Advance < 0 {
			v.at(path+".advance", "%v is negative: the clock only moves forward", st.Advance)
		}
		if st.Request == nil {
			continue
		}
		if st.Expect == nil && st.ExpectFirst == nil {
			v.at(path, "a request needs expect: say what answer it must get")
		}
		if st.Repeat < 0 {
			v.at(path+".repeat", "%d is negative", st.Repeat)
		}
		if st.ExpectFirst != nil && st.Repeat < 2 {
			v.at(path+".expect_first", "goes with repeat of 2 or more")
		}
		if enc := st.Request.Encoding; enc != "" && !slices.Contains(encodings, enc) {
			v.at(path+".request.encoding", "%s", oneOf(enc, encodings))
		}
		v2 := st.Request.API == mockocean.APIV2
		if api := st.Request.API; api != "" && !slices.Contains(apis, api) {
			v.at(path+".request.api", "%s", oneOf(api, apis))
		}
		if v2 && st.Request.Encoding != "" && st.Request.Encoding != "json" {
			v.at(path+".request.encoding", "%q: the v2 API takes a JSON document only (leave encoding out)", st.Request.Encoding)
		}
		if !v2 {
			for _, k := range slices.Sorted(maps.Keys(st.Request.Params)) {
				switch st.Request.Params[k].(type) {
				case map[string]any, []any:
					v.at(path+".request.params."+k, "a nested value needs api: v2 (the legacy API's parameters are single values)")
				}
			}
		}
		if st.Request.Sign && o.AppSecret == "" {
			v.at(path+".request.sign", "signs with ocean.app_secret, which is not set")
		}
		for _, ex := range []struct {
			name string
			e    *OceanExpect
		}{{"expect", st.Expect}, {"expect_first", st.ExpectFirst}} {
			if ex.e == nil {
				continue
			}
			if st := ex.e.Status; st != 0 && (st < mockimpact.MinStatus || st > mockimpact.MaxStatus) {
				v.at(path+"."+ex.name+".status", "%d is not an HTTP status (want %d–%d)", st, mockimpact.MinStatus, mockimpact.MaxStatus)
			}
			if ex.e.Code == nil {
				continue
			}
			code := *ex.e.Code
			rule, ok := mockocean.LookupRule(code)
			if v2 {
				r2, ok2 := mockocean.LookupV2Rule(code)
				rule, ok = mockocean.Rule{Code: r2.Code, Msg: r2.Message}, ok2
			}
			switch {
			case !ok && !faultCodes[code]:
				v.at(path+"."+ex.name+".code", "%d is not an answer the emulator gives (see postbacksim ocean catalog), nor a fault's code", code)
			case ok && ex.e.Msg != "" && !rule.Matches(ex.e.Msg) && !faultCodes[code]:
				v.at(path+"."+ex.name+".msg", "%q is impossible: code %d always answers %q", ex.e.Msg, code, rule.Msg)
			}
		}
	}
}

// maxDeliveries is how many deliveries a scenario can make: one per
// fired event, and an update for each PENDING publisher_application
// (docs/platforms.md#d-impact-application-update).
func maxDeliveries(im *Impact) int {
	if im.Event == "publisher_application" && (im.Status == "" || im.Status == fixtures.StatusPending) {
		return 2 * im.Fire
	}
	return im.Fire
}
