package mockocean

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mode selects which rules Validate applies. The zero Mode applies every
// explicit rule of the document and, where the document is silent,
// ambiguous or contradicts itself, the decisions in docs/platforms.md;
// a deviation a decision accepts is journaled as a warning.
type Mode struct {
	// Lenient also accepts, each with a warning, what real clients are
	// known to send outside the document's explicit rules: the
	// Leniencies. It is ignored when Strict is set.
	Lenient bool
	// Strict makes every warning an error: a deviation a decision would
	// accept (a milliseconds conv_time, os=ios, …) gets its rule's code.
	Strict bool
	// StrictAttribution answers CodeCallbackInvalid for a callback that
	// Verifier does not recognise. It needs a Verifier.
	StrictAttribution bool
	// Verifier recognises callbacks the emulator issued; nil means none.
	Verifier CallbackVerifier
	// ExtraEventTypes are event types agreed separately with the platform
	// (Config.ExtraEventTypes), accepted in both modes besides the
	// documented enum: by Value on /track/activate/, by Name on the v2
	// API.
	ExtraEventTypes []EventType
	// AppSecret, when set, makes the v2 API's x-signature required and
	// checked (Config.AppSecret).
	AppSecret string
}

// CallbackVerifier recognises the callbacks that the emulator itself
// issued with clicks.
type CallbackVerifier interface {
	// Verify reports whether callback was issued by this emulator.
	Verify(callback string) bool
}

// Verdict is Validate's answer for one request.
type Verdict struct {
	// Code and Msg are the answer, from the Catalog.
	Code int
	Msg  string
	// Detail says precisely what was wrong (empty on success).
	Detail string
	// Warnings are accepted deviations from the documented rules.
	Warnings []string
	// Conversion is the parsed request; nil unless every field check
	// passed.
	Conversion *Conversion
}

// Validate checks in against the Catalog in check order and returns the
// first failing rule, or success with the parsed Conversion. It does not
// filter duplicates: that needs state, and runs after it.
func Validate(in Input, mode Mode) Verdict {
	// One allocation for the state the checks share and the conversion
	// they fill (the checks are called through a table, so both escape).
	both := &struct {
		s    checkState
		conv Conversion
	}{}
	s := &both.s
	*s = checkState{in: in, mode: mode, conv: &both.conv}
	if mode.lenient() {
		s.in.Values, s.warnings = liftExt(in.Values)
	}
	for _, r := range checkOrder {
		if detail, failed := r.check(s); failed {
			msg := r.Msg
			if s.field != "" {
				msg = strings.Replace(msg, fieldPlaceholder, s.field, 1)
			}
			return Verdict{Code: r.Code, Msg: msg, Detail: detail, Warnings: s.warnings}
		}
	}
	s.conv.Extra = extraParams(in.Values)
	return Verdict{Code: CodeSuccess, Msg: ruleByCode[CodeSuccess].Msg, Warnings: s.warnings, Conversion: s.conv}
}

// checkFunc runs one rule. It returns failed=true and a detail when the
// rule rejects the request; it may fill conv and add warnings.
type checkFunc func(s *checkState) (detail string, failed bool)

type checkState struct {
	in       Input
	mode     Mode
	conv     *Conversion
	warnings []string
	// field is the parameter a failing rule's message names, for rules
	// whose Msg holds fieldPlaceholder.
	field string
}

func (s *checkState) get(name string) string { return s.in.Values[name] }

// lenient reports whether the mode accepts the Leniencies.
func (m Mode) lenient() bool { return m.Lenient && !m.Strict }

// deviate records a deviation from an explicit rule of the document,
// the leniency named: accepted with a warning in lenient mode (msg, then
// how it is read, when that is said), otherwise the rule's answer, with
// a detail quoting the document.
func (s *checkState) deviate(leniency, msg, reading string) (string, bool) {
	l := leniencyByName[leniency]
	if s.mode.lenient() {
		if reading != "" {
			msg += ": " + reading
		}
		s.warnings = append(s.warnings, l.WarningPrefix()+msg)
		return "", false
	}
	return msg + "; the document: 「" + l.Rule + "」 (--lenient accepts it with a warning)", true
}

// decided records a deviation that the decision at anchor in
// docs/platforms.md accepts, where the document is silent, ambiguous or
// contradicts itself: a warning, an error in strict mode.
func (s *checkState) decided(anchor, msg string) (string, bool) {
	return decided(s.mode, &s.warnings, anchor, msg)
}

func decided(mode Mode, warnings *[]string, anchor, msg string) (string, bool) {
	_ = anchor // named at each call for the decision-table test and the reader
	if mode.Strict {
		return "strict mode: " + msg, true
	}
	*warnings = append(*warnings, msg)
	return "", false
}

func checkBody(s *checkState) (string, bool) {
	if s.in.BodyError != "" {
		return s.in.BodyError, true
	}
	if len(s.in.PostQuery) > 0 {
		return s.deviate(LenientPostQuery, fmt.Sprintf("POST with parameters in the query string (%s)", strings.Join(s.in.PostQuery, ", ")), "")
	}
	return "", false
}

// checkEncoding: the document says every text is UTF-8, and non-ASCII
// characters in the URL are URL-encoded.
func checkEncoding(s *checkState) (string, bool) {
	if len(s.in.NotUTF8) > 0 {
		names := make([]string, len(s.in.NotUTF8))
		for i, k := range s.in.NotUTF8 {
			names[i] = strings.ToValidUTF8(k, "\uFFFD")
		}
		detail, failed := s.deviate(LenientNotUTF8, fmt.Sprintf("not UTF-8: %s (value %q)",
			strings.Join(names, ", "), s.in.Values[s.in.NotUTF8[0]]), "")
		if failed {
			s.field = names[0]
			return detail, true
		}
	}
	if len(s.in.NotEncoded) > 0 {
		detail, failed := s.deviate(LenientURLNotEncoded, fmt.Sprintf("non-ASCII characters not URL-encoded in the URL: %s (write %s=%s)",
			strings.Join(s.in.NotEncoded, ", "), s.in.NotEncoded[0], url.QueryEscape(s.in.Values[s.in.NotEncoded[0]])), "")
		if failed {
			s.field = s.in.NotEncoded[0]
			return detail, true
		}
	}
	return "", false
}

func checkCallback(s *checkState) (string, bool) {
	for _, p := range callbackParams {
		if v := s.get(p); v != "" {
			s.conv.Callback, s.conv.CallbackParam = v, p
			return "", false
		}
	}
	return "none of callback, callback_param, callback_url, link is set", true
}

// checkDevice applies the device rule; os is device info (组合二), so a
// wrong os is answered as the document answers device info filled in
// wrongly (设备信息没有填写或填写错误).
func checkDevice(s *checkState) (string, bool) {
	c := s.conv
	c.IDFA, c.IMEI, c.OAID, c.OAIDMD5 = s.get(ParamIDFA), s.get(ParamIMEI), s.get(ParamOAID), s.get(ParamOAIDMD5)
	c.CAID1, c.CAID2, c.MUID = s.get(ParamCAID1), s.get(ParamCAID2), s.get(ParamMUID)
	os := s.get(ParamOS)
	if os != "" {
		if detail, failed := s.readOS(os); failed {
			return detail, true
		}
	}
	switch {
	case c.IDFA != "" || c.IMEI != "" || c.OAID != "":
		return "", false
	case os != "" && c.MUID != "":
		return "", false
	case c.CallbackParam == ParamLink:
		return s.deviate(LenientLinkOnly, "a conversion identified by link alone, without device info", "")
	case os != "":
		return "os is set but muid is missing", true
	case c.MUID != "":
		return "muid is set but os is missing", true
	default:
		return "no device info: set idfa, imei or oaid, or os together with muid", true
	}
}

// readOS reads os into the conversion: 0 or 1, or the words the
// document's own example uses.
func (s *checkState) readOS(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "0", "1":
		s.conv.OS = Ptr(int(v[0] - '0'))
		return "", false
	case "android", "ios":
		n := 0
		if strings.EqualFold(v, "ios") {
			n = 1
		}
		if detail, failed := s.decided("d-os-words", fmt.Sprintf("os %q read as %d; the parameter list's values are 0 and 1", v, n)); failed {
			return detail, true
		}
		s.conv.OS = Ptr(n)
		return "", false
	}
	return fmt.Sprintf("os %q: want 0 (android) or 1 (ios)", v), true
}

func checkEventType(s *checkState) (string, bool) {
	v := s.get(ParamEventType)
	if v == "" {
		if detail, failed := s.deviate(LenientEventTypeAbsent, "event_type absent", "read as 0 (激活 activation)"); failed {
			return detail, true
		}
		s.conv.EventType, s.conv.EventName = 0, eventTypeByValue[0].Name
		return "", false
	}
	n, ok := parseDigits(v)
	if !ok {
		return fmt.Sprintf("event_type %q is not a non-negative integer", v), true
	}
	e, ok := lookupEventType(int(n), s.mode.ExtraEventTypes)
	if !ok {
		if len(s.mode.ExtraEventTypes) > 0 {
			return fmt.Sprintf("event_type %s is not in the documented enum nor among the agreed extra event types", v), true
		}
		return fmt.Sprintf("event_type %s is not in the documented enum", v), true
	}
	s.conv.EventType, s.conv.EventName = e.Value, e.Name
	return "", false
}

// msThreshold: a conv_time above it (year 5138 in seconds) is taken for
// milliseconds.
const msThreshold = 100_000_000_000

func checkConvTime(s *checkState) (string, bool) {
	v := s.get(ParamConvTime)
	if v == "" {
		return "", false
	}
	n, ok := parseDigits(v)
	if !ok {
		return fmt.Sprintf("conv_time %q is not a non-negative integer of unix seconds", v), true
	}
	if n > msThreshold {
		if detail, failed := s.decided("d-ocean-conv-time", fmt.Sprintf("conv_time %s looks like milliseconds; the API takes seconds: read as %d", v, n/1000)); failed {
			return detail, true
		}
		n /= 1000 // normalised once: the conversion, its attribution and the journal read seconds
	}
	s.conv.ConvTime = Ptr(n)
	return "", false
}

func checkMatchType(s *checkState) (string, bool) {
	switch v := s.get(ParamMatchType); v {
	case "":
		return "", false
	case "0", "1", "2":
		s.conv.MatchType = Ptr(int(v[0] - '0'))
		return "", false
	default:
		return fmt.Sprintf("match_type %q: want 0 (click), 1 (impression) or 2 (valid play)", v), true
	}
}

func checkProps(s *checkState) (string, bool) {
	v := s.get(ParamProps)
	if v == "" {
		return "", false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &obj); err != nil || obj == nil {
		why := "null"
		if err != nil {
			why = err.Error()
		}
		return fmt.Sprintf("props is not a JSON object: %s", why), true
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, []byte(v)) // valid: Unmarshal accepted it
	s.conv.Props = buf.Bytes()
	return "", false
}

// MaxOuterEventIDLen is the documented limit on outer_event_id, in
// characters.
const MaxOuterEventIDLen = 200

func checkOuterEventID(s *checkState) (string, bool) {
	v := s.get(ParamOuterEventID)
	if n := utf8.RuneCountInString(v); n > MaxOuterEventIDLen {
		return fmt.Sprintf("outer_event_id has %d characters; at most %d", n, MaxOuterEventIDLen), true
	}
	s.conv.OuterEventID = v
	s.conv.Source = s.get(ParamSource)
	return "", false
}

func checkAttribution(s *checkState) (string, bool) {
	if !s.mode.StrictAttribution || s.mode.Verifier == nil {
		return "", false
	}
	if s.mode.Verifier.Verify(s.conv.Callback) {
		return "", false
	}
	return fmt.Sprintf("%s was not issued by this emulator", s.conv.CallbackParam), true
}

// ParamExt is the parameter some SDKs send as a JSON object holding
// documented parameters ({"ext":{"outer_event_id":"…"}}).
const ParamExt = "ext"

// liftExt reads the documented parameters inside an ext JSON object when
// the top-level one is absent (lenient mode only: the document knows no
// ext). It returns values unchanged when there is nothing to lift, or a
// copy, with one warning per lifted parameter.
func liftExt(values map[string]string) (map[string]string, []string) {
	var out map[string]string
	var warnings []string
	for k, v := range extParams(values) {
		if out == nil {
			out = maps.Clone(values)
		}
		out[k] = v
		warnings = append(warnings, leniencyByName[LenientExt].WarningPrefix()+k+" read from the ext object; the document sends it as a parameter of its own")
	}
	if out == nil {
		return values, nil
	}
	return out, warnings
}

// extParams returns the documented parameters an ext JSON object holds
// that are absent at the top level, with their values, sorted by name.
func extParams(values map[string]string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		raw := values[ParamExt]
		if raw == "" || raw[0] != '{' {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &obj); err != nil {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if !knownParams[k] || values[k] != "" {
				continue
			}
			in := Input{Values: map[string]string{}}
			if err := in.setJSON(k, string(bytes.TrimSpace(obj[k]))); err != nil || in.Values[k] == "" {
				continue
			}
			if !yield(k, in.Values[k]) {
				return
			}
		}
	}
}

// extHolds names the documented parameters an ext object holds that are
// absent at the top level.
func extHolds(values map[string]string) []string {
	var names []string
	for k := range extParams(values) {
		names = append(names, k)
	}
	return names
}

// parseDigits parses a non-negative decimal integer written with digits
// only (no sign, no spaces, no exponent).
func parseDigits(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

var knownParams = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{ParamCallback, ParamCallbackParam, ParamCallbackURL, ParamLink,
		ParamIMEI, ParamIDFA, ParamOAID, ParamOAIDMD5, ParamCAID1, ParamCAID2, ParamOS, ParamMUID,
		ParamEventType, ParamConvTime, ParamMatchType, ParamSource, ParamOuterEventID, ParamProps} {
		m[p] = true
	}
	return m
}()

func extraParams(values map[string]string) map[string]string {
	var extra map[string]string
	for k, v := range values {
		if !knownParams[k] {
			if extra == nil {
				extra = map[string]string{}
			}
			extra[k] = v
		}
	}
	return extra
}
