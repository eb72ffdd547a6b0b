package mockocean

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/postbacksim/postbacksim/internal/suggest"
)

// ValidateV2 checks a request to /api/v2/conversion, as received, against
// the v2 catalog in check order, and returns its parameters (the known
// fields by path, what fault rules match) and the first failing rule, or
// success with the parsed Conversion. Like Validate it is pure and does
// not filter duplicates.
func ValidateV2(raw Raw, mode Mode) (Input, Verdict) {
	in := decodeV2(raw)
	params := Input{Values: in.values}
	// One allocation for the checks' state and the conversion they fill.
	both := &struct {
		s    v2State
		conv Conversion
	}{conv: Conversion{API: APIV2}}
	s := &both.s
	*s = v2State{in: in, mode: mode, conv: &both.conv}
	if w := v2ContentTypeWarning(raw.ContentType); w != "" {
		s.warnings = append(s.warnings, w)
	}
	for _, r := range v2CheckOrder {
		if detail, failed := r.check(s); failed {
			msg := r.Message
			if s.field != "" {
				msg = strings.Replace(msg, fieldPlaceholder, s.field, 1)
			}
			return params, Verdict{Code: r.Code, Msg: msg, Detail: detail, Warnings: s.warnings}
		}
	}
	s.fill()
	return params, Verdict{Code: V2CodeSuccess, Msg: v2RuleByCode[V2CodeSuccess].Message, Warnings: s.warnings, Conversion: s.conv}
}

// v2ContentTypeWarning says what is off with a v2 request's
// Content-Type, if anything: the SDK sends application/json, and the
// emulator reads the body as JSON whatever the header says (in strict
// mode too; the public clients do not say what the platform does).
func v2ContentTypeWarning(ct string) string {
	if ct == "" {
		return "no Content-Type: read as JSON; the SDK sends application/json"
	}
	mt, _, err := parseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return ""
	}
	return fmt.Sprintf("Content-Type is %q: read as JSON; the SDK sends application/json", ct)
}

// v2CheckFunc runs one v2 rule, as checkFunc does for the legacy ones.
type v2CheckFunc func(s *v2State) (detail string, failed bool)

type v2State struct {
	in       v2Input
	mode     Mode
	conv     *Conversion
	warnings []string
	field    string
}

func (s *v2State) get(path string) string { return s.in.values[path] }

// decided records a deviation that the decision at anchor accepts (the
// v2 API has no document: every rule is read from its clients): a
// warning, an error in strict mode.
func (s *v2State) decided(anchor, msg string) (string, bool) {
	return decided(s.mode, &s.warnings, anchor, msg)
}

// owned are the paths whose type errors a later rule answers with its
// own code.
var v2Owned = map[string]bool{"event_type": true, "context.ad.callback": true, "timestamp": true,
	"context.ad.match_type": true, "properties": true, "outer_event_id": true}

func v2CheckBody(s *v2State) (string, bool) {
	if s.in.bodyError != "" {
		return s.in.bodyError, true
	}
	for _, f := range v2Fields { // in the table's order: the first one named
		if msg, bad := s.in.kinds[f.Path]; bad && !v2Owned[f.Path] {
			return f.Path + ": " + msg, true
		}
	}
	if len(s.in.unknown) > 0 {
		paths := make([]string, 0, len(v2Fields))
		for _, f := range v2Fields {
			paths = append(paths, f.Path)
		}
		var names []string
		for _, u := range s.in.unknown {
			name := u
			if near, ok := suggest.Closest(u, paths); ok && suggest.Distance(u, near) <= max(2, len(u)/4) {
				name += " (did you mean " + near + "?)"
			}
			names = append(names, name)
		}
		if detail, failed := s.decided("d-ocean-v2-fields", "fields the SDK does not have: "+strings.Join(names, ", ")); failed {
			return detail, true
		}
	}
	if v, ok := s.in.values["attribute_label"]; ok && v != "convert" {
		s.warnings = append(s.warnings, fmt.Sprintf("attribute_label %q: the SDK says this scenario takes only convert", v))
	}
	if v, ok := s.in.values["biz_type"]; ok && v != "4" {
		s.warnings = append(s.warnings, fmt.Sprintf("biz_type %s: the SDK says this scenario takes only 4", v))
	}
	return "", false
}

// v2CheckSignature checks x-signature when the namespace has an app
// secret: hex(sha256(body + secret)), as the public SDK computes it. An
// x-rs256-token's form is read (credential, timestamp and signature):
// a malformed one is refused with an app secret, warned about without;
// a well-formed one is accepted unchecked (no public key can be
// configured) with a warning.
func v2CheckSignature(s *v2State) (string, bool) {
	raw := s.in.raw
	var tokenErr error
	if raw.RS256Token != "" {
		tokenErr = checkRS256Token(raw.RS256Token)
	}
	if s.mode.AppSecret == "" {
		if tokenErr != nil {
			s.warnings = append(s.warnings, "x-rs256-token "+tokenErr.Error())
		}
		return "", false
	}
	sig := strings.TrimSpace(raw.Signature)
	if sig == "" && raw.RS256Token != "" {
		if tokenErr != nil {
			return "x-rs256-token " + tokenErr.Error(), true
		}
		s.warnings = append(s.warnings, "x-rs256-token not checked (the sandbox holds no public key); send x-signature to have the signature checked")
		return "", false
	}
	if sig == "" {
		return "no x-signature header: with an app secret set, the header is hex(sha256(body + secret))", true
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Sprintf("x-signature %.80q is not 64 hex digits (a SHA-256)", sig), true
	}
	want := sha256.Sum256([]byte(raw.Body + s.mode.AppSecret))
	if subtle.ConstantTimeCompare(got, want[:]) != 1 {
		return "x-signature is not hex(sha256(body + app secret)): the body was changed after signing, or another secret signed it", true
	}
	return "", false
}

// checkRS256Token says what is wrong with the form of an x-rs256-token
// header, credential=primary|backup&timestamp=SECONDS&signature=BASE64
// as the public SDK writes it, if anything.
func checkRS256Token(tok string) error {
	const want = "want credential=primary|backup&timestamp=SECONDS&signature=BASE64"
	fields := map[string]string{}
	for part := range strings.SplitSeq(tok, "&") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%.80q: the part %.40q has no '=' (%s)", tok, part, want)
		}
		if _, dup := fields[k]; dup {
			return fmt.Errorf("%.80q: %s given twice (%s)", tok, k, want)
		}
		fields[k] = v
	}
	for _, k := range []string{"credential", "timestamp", "signature"} {
		if _, ok := fields[k]; !ok {
			return fmt.Errorf("%.80q: no %s (%s; SDK releases before July 2023 mangled the separator before timestamp)", tok, k, want)
		}
	}
	if c := fields["credential"]; c != "primary" && c != "backup" {
		return fmt.Errorf("credential %q: want primary or backup", c)
	}
	ts, err := strconv.ParseInt(fields["timestamp"], 10, 64)
	switch {
	case err != nil || ts <= 0:
		return fmt.Errorf("timestamp %q: want unix seconds", fields["timestamp"])
	case ts >= v2SecondsBelow:
		return fmt.Errorf("timestamp %d: want unix seconds, not milliseconds", ts)
	}
	if b, err := base64.StdEncoding.DecodeString(fields["signature"]); err != nil || len(b) == 0 {
		return fmt.Errorf("signature %.40q: want standard Base64 (with padding) of the RSA signature", fields["signature"])
	}
	if len(fields) > 3 {
		return fmt.Errorf("%.80q: fields besides credential, timestamp and signature (%s)", tok, want)
	}
	return nil
}

func v2CheckEncoding(s *v2State) (string, bool) {
	if len(s.in.notUTF8) == 0 {
		return "", false
	}
	s.field = strings.ToValidUTF8(s.in.notUTF8[0], "\uFFFD")
	detail, failed := s.decided("d-ocean-v2-utf8", fmt.Sprintf("not UTF-8: %s; JSON text is UTF-8", strings.Join(s.in.notUTF8, ", ")))
	if !failed {
		s.field = ""
	}
	return detail, failed
}

// v2Aliases are event names some public clients send that the SDK's enum
// does not have, with the name meant: the answer suggests it.
var v2Aliases = map[string]string{
	"register": "active_register", "pay": "active_pay", "retention": "next_day_open", "consult": "consult_effective",
	"effective_consult": "consult_effective", "app_order": "in_app_order", "app_visit": "in_app_uv", "app_add_cart": "in_app_cart",
	"app_pay": "in_app_pay", "authorize": "authorization", "landing_page_uv": "in_app_detail_uv",
}

func v2CheckEventType(s *v2State) (string, bool) {
	if msg, bad := s.in.kinds["event_type"]; bad {
		return "event_type: " + msg + " (an event name such as active_pay)", true
	}
	v, ok := s.in.values["event_type"]
	if !ok || v == "" {
		return "event_type absent: want an event name such as active or active_pay", true
	}
	if e, ok := v2EventByName[v]; ok {
		s.conv.EventName, s.conv.EventType = e.Name, e.Legacy
		return "", false
	}
	for _, x := range s.mode.ExtraEventTypes {
		if x.Name == v {
			s.conv.EventName, s.conv.EventType = x.Name, x.Value
			return "", false
		}
	}
	if n, err := strconv.Atoi(v); err == nil {
		e, mapped := v2EventByLegacy[n]
		if !mapped {
			return fmt.Sprintf("event_type %s: a legacy number with no v2 event; want an event name", v), true
		}
		form := "the digits " + strconv.Quote(v)
		if s.in.eventNumber {
			form = "the number " + v
		}
		if detail, failed := s.decided("d-ocean-v2-event-names", fmt.Sprintf("event_type is %s, a /track/activate/ number: read as %q, the v2 name", form, e.Name)); failed {
			return detail, true
		}
		s.conv.EventName, s.conv.EventType = e.Name, e.Legacy
		return "", false
	}
	detail := fmt.Sprintf("event_type %q is not an event name", v)
	if meant, ok := v2Aliases[v]; ok {
		detail += fmt.Sprintf(" (did you mean %q? the SDK's name for it)", meant)
	} else if near, ok := suggest.Closest(v, v2EventNames()); ok && suggest.Distance(v, near) <= max(1, len(v)/4) {
		detail += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return detail, true
}

// v2EventNames lists the event names, for suggestions.
func v2EventNames() []string {
	out := make([]string, len(v2EventTypes))
	for i, e := range v2EventTypes {
		out[i] = e.Name
	}
	return out
}

func v2CheckCallback(s *v2State) (string, bool) {
	if msg, bad := s.in.kinds["context.ad.callback"]; bad {
		return "context.ad.callback: " + msg, true
	}
	cb := s.get("context.ad.callback")
	if cb == "" {
		detail := "context.ad.callback absent: the click's callback (from __CALLBACK_PARAM__, or a landing page's clickid) goes there"
		for _, u := range s.in.unknown {
			if strings.HasSuffix(u, "clickid") || strings.HasSuffix(u, "callback") {
				detail += fmt.Sprintf("; %s is not read", u)
			}
		}
		return detail, true
	}
	s.conv.Callback, s.conv.CallbackParam = cb, "context.ad.callback"
	return "", false
}

// v2SecondsBelow is the first millisecond value: a timestamp under it is
// taken for seconds (it would be before March 1973 in milliseconds).
const v2SecondsBelow = 100_000_000_000

func v2CheckTimestamp(s *v2State) (string, bool) {
	if msg, bad := s.in.kinds["timestamp"]; bad {
		return "timestamp: " + msg + " of milliseconds", true
	}
	v, ok := s.in.values["timestamp"]
	if !ok {
		return s.decided("d-ocean-v2-timestamp", "timestamp absent: the event's time is taken as the time received")
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms <= 0 {
		return fmt.Sprintf("timestamp %s: want a positive integer of milliseconds since 1970", v), true
	}
	if ms < v2SecondsBelow {
		if detail, failed := s.decided("d-ocean-v2-timestamp", fmt.Sprintf("timestamp %d looks like seconds; the SDK sends milliseconds", ms)); failed {
			return detail, true
		}
		ms *= 1000
	}
	s.conv.TimestampMS = &ms
	sec := ms / 1000
	s.conv.ConvTime = &sec
	return "", false
}

func v2CheckMatchType(s *v2State) (string, bool) {
	if msg, bad := s.in.kinds["context.ad.match_type"]; bad {
		return "context.ad.match_type: " + msg, true
	}
	v, ok := s.in.values["context.ad.match_type"]
	if !ok {
		return "", false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 2 {
		return fmt.Sprintf("context.ad.match_type %s: want 0 (click), 1 (impression) or 2 (effective play)", v), true
	}
	s.conv.MatchType = &n
	return "", false
}

func v2CheckProperties(s *v2State) (string, bool) {
	if msg, bad := s.in.kinds["properties"]; bad {
		return "properties: " + msg, true
	}
	v, ok := s.in.values["properties"]
	if !ok {
		return "", false
	}
	for _, k := range []string{"pay_amount", "order_amount"} {
		x, ok := s.in.props[k]
		if !ok {
			continue
		}
		n, isNum := x.(json.Number)
		f, err := n.Float64()
		if !isNum || err != nil || f < 0 {
			return fmt.Sprintf("properties.%s %v: want a non-negative number (pay_amount is in fen)", k, x), true
		}
	}
	s.conv.Props = json.RawMessage(v)
	return "", false
}

func v2CheckOuterEventID(s *v2State) (string, bool) {
	if msg, bad := s.in.kinds["outer_event_id"]; bad {
		return "outer_event_id: " + msg, true
	}
	id := s.get("outer_event_id")
	if n := utf8.RuneCountInString(id); n > MaxOuterEventIDLen {
		return fmt.Sprintf("outer_event_id has %d characters; at most %d", n, MaxOuterEventIDLen), true
	}
	s.conv.OuterEventID = id
	return "", false
}

func v2CheckAttribution(s *v2State) (string, bool) {
	if !s.mode.StrictAttribution || s.mode.Verifier == nil || s.mode.Verifier.Verify(s.conv.Callback) {
		return "", false
	}
	return "context.ad.callback was not issued by this emulator", true
}

// fill copies the remaining fields into the conversion.
func (s *v2State) fill() {
	c := s.conv
	c.IMEI, c.IDFA, c.OAID = s.get("context.device.imei"), s.get("context.device.idfa"), s.get("context.device.oaid")
	c.AndroidID, c.GAID, c.IDFV = s.get("context.device.android_id"), s.get("context.device.gaid"), s.get("context.device.idfv")
	c.Platform, c.PackageName, c.Source = s.get("context.device.platform"), s.get("context.app.package_name"), s.get("source")
	if s.in.raw.Debug {
		c.Debug = true
	}
}
