package mockocean

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// FastRetry is the gap under which a resend after a 5xx or a fault is too
// fast: impact itself waits 15 s before its first retry, and a server that
// just failed needs more than a second to recover; we decided 1 s
// (docs/certify.md, The lint).
const FastRetry = time.Second

// FutureSkew is how far ahead of its arrival a conv_time may be before it
// counts as in the future: clocks drift, five minutes is generous.
const FutureSkew = 5 * time.Minute

// MaxExampleSeqs bounds the example request numbers a finding lists.
const MaxExampleSeqs = 5

// Lint severities, most severe first: an error is what the platform
// refuses or miscounts, a warning what works here but risks data, info
// what needs no change.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// SeverityRank orders severities: 3 error, 2 warning, 1 info, 0 for
// anything else ("never").
func SeverityRank(s string) int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// LintRule is one finding the traffic lint looks for: data the report,
// the documentation and the tests share.
type LintRule struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	// Title says what was seen; Hint how to fix it; Doc is the
	// docs/platforms.md anchor of the rule.
	Title string `json:"title"`
	Hint  string `json:"hint"`
	Doc   string `json:"doc"`

	// match reports whether request i of the traffic shows the finding.
	match func(t *traffic, i int) bool
	// example is what the report shows of the first request found (nil:
	// nothing): the check that decided (detailOf), or the warning.
	example func(r *Request) string
}

// Finding is a rule that matched: how often, and example requests.
type Finding struct {
	LintRule
	Count int `json:"count"`
	// Seqs are the journal numbers of up to MaxExampleSeqs examples.
	Seqs []uint64 `json:"seqs"`
	// Example is what the journal says of the first example: the check
	// that decided its answer, or its warning.
	Example string `json:"example,omitempty"`
}

// Fails reports whether the report has a finding of severity failOn or
// more severe (failOn "never" fails nothing).
func (rep TrafficReport) Fails(failOn string) bool {
	if SeverityRank(failOn) == 0 {
		return false
	}
	for _, f := range rep.Findings {
		if SeverityRank(f.Severity) >= SeverityRank(failOn) {
			return true
		}
	}
	return false
}

// CodeCount is one bar of the answers histogram.
type CodeCount struct {
	// Status is the HTTP status (0: the connection was dropped by a fault);
	// Code and Msg the code/msg answer when Status is 200.
	Status int    `json:"status"`
	Code   int    `json:"code"`
	Msg    string `json:"msg,omitempty"`
	Count  int    `json:"count"`
}

// EventTypeCount counts one event_type sent.
type EventTypeCount struct {
	EventType string `json:"event_type"`
	Name      string `json:"name,omitempty"`
	Count     int    `json:"count"`
}

// TrafficReport is the lint of an uploader's requests.
type TrafficReport struct {
	Requests   int              `json:"requests"`
	Since      *time.Time       `json:"since,omitempty"`
	Until      *time.Time       `json:"until,omitempty"`
	Findings   []Finding        `json:"findings"`
	Codes      []CodeCount      `json:"codes"`
	EventTypes []EventTypeCount `json:"event_types"`
}

// traffic is the lint's view of the requests, with what rules share.
type traffic struct {
	reqs []Request
	// prev[i] is the index of the latest earlier request with the same
	// method and parameters as request i, or -1.
	prev []int
	// same[i] is the index of the latest earlier request for the same
	// conversion as request i (requestIdentity), or -1.
	same []int
}

func (t *traffic) param(i int, name string) string { return t.reqs[i].Params[name] }

// decoded reports whether request i reached validation (not a 405, 413 or
// a dropped connection).
func (t *traffic) decoded(i int) bool {
	return t.reqs[i].Status == http.StatusOK && t.reqs[i].Params != nil
}

// malformed reports whether request i's body could not be read (40010,
// 41001): the other findings say nothing of it.
func (t *traffic) malformed(i int) bool {
	return t.decoded(i) && t.reqs[i].Answered && (t.legacy(i) && t.reqs[i].Code == CodeInvalidBody || t.v2(i) && t.reqs[i].Code == V2CodeInvalidBody)
}

// wellFormed reports whether request i reached validation with a body
// that could be read.
func (t *traffic) wellFormed(i int) bool { return t.decoded(i) && !t.malformed(i) }

// warned reports whether request i carries a warning starting with one
// of prefixes.
func (t *traffic) warned(i int, prefixes ...string) bool {
	return slices.ContainsFunc(t.reqs[i].Warnings, func(w string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(w, p) })
	})
}

// legacy reports whether request i went to /track/activate/; v2 whether
// it went to /api/v2/conversion.
func (t *traffic) legacy(i int) bool { return t.reqs[i].API == "" }
func (t *traffic) v2(i int) bool     { return t.reqs[i].API == APIV2 }

// anyParam reports whether request i has a non-empty value for one of
// names.
func (t *traffic) anyParam(i int, names ...string) bool {
	for _, n := range names {
		if t.param(i, n) != "" {
			return true
		}
	}
	return false
}

// v2DeviceIDs are the v2 fields that identify a device (platform names
// one's kind, not the device).
var v2DeviceIDs = []string{"context.device.imei", "context.device.idfa", "context.device.oaid", "context.device.gaid",
	"context.device.android_id", "context.device.android_id_md5", "context.device.idfv"}

// inAppEvent reports whether the legacy event type v is one the Ocean
// Engine document defines as happening in the app (its definition says
// 应用, the app): a v2 event mapped to it comes from a device.
func inAppEvent(v int) bool {
	e, ok := eventTypeByValue[v]
	return ok && strings.Contains(e.Definition, "应用")
}

// v2Code reports whether request i is a v2 request answered code.
func (t *traffic) v2Code(i, code int) bool { return t.v2(i) && t.decoded(i) && t.reqs[i].Code == code }

// finalCode reports whether code is an answer that resending the same
// request cannot change: every validation error. 40004 is the duplicate
// rule's.
func finalCode(code int) bool {
	return code != CodeSuccess && code != CodeDuplicate && code != V2CodeDuplicate
}

func osWord(v string) string {
	switch strings.ToLower(v) {
	case "0", "android":
		return "android"
	case "1", "ios":
		return "ios"
	}
	return ""
}

// convTime reads conv_time as an integer.
func (t *traffic) convTime(i int) (int64, bool) {
	n, err := strconv.ParseInt(t.param(i, ParamConvTime), 10, 64)
	return n, err == nil
}

// lintRules is the table of findings, in report order: the only copy.
// The leniencies' findings come last, one per leniency.
var lintRules = append([]LintRule{
	{ID: "duplicate_outer_event_id", Severity: SeverityWarning,
		Title: "the same outer_event_id was sent again after it was accepted (answered 40004, or 41011 on the v2 API)",
		Hint:  "resend a conversion only when no answer came or the answer was a 5xx; keep outer_event_id stable across those retries",
		Doc:   "docs/platforms.md#duplicate-filtering-outer_event_id",
		match: func(t *traffic, i int) bool {
			return t.decoded(i) && (t.legacy(i) && t.reqs[i].Code == CodeDuplicate || t.v2Code(i, V2CodeDuplicate))
		}},
	{ID: "malformed_body", Severity: SeverityError,
		Title:   "the body could not be read: not one JSON object (or form), or a field of the wrong JSON type (answered 40010, or 41001 on the v2 API); nothing else in it was checked",
		Hint:    "send Content-Type: application/json with one JSON object, values as the API types them (strings for ids, numbers for event_type and conv_time)",
		Doc:     "docs/platforms.md#answers-and-the-check-order",
		example: detailOf,
		match:   func(t *traffic, i int) bool { return t.malformed(i) }},
	{ID: "missing_outer_event_id", Severity: SeverityWarning,
		Title: "no outer_event_id: duplicates cannot be filtered, a retried conversion counts twice",
		Hint:  "send a unique outer_event_id (at most 200 characters) per conversion, the same one on every retry",
		Doc:   "docs/platforms.md#duplicate-filtering-outer_event_id",
		match: func(t *traffic, i int) bool {
			return t.legacy(i) && t.wellFormed(i) && t.param(i, ParamOuterEventID) == ""
		}},
	{ID: "retry_after_final_error", Severity: SeverityError,
		Title:   "the same conversion (its outer_event_id, or its callback and event type) was sent again after an answer that retrying cannot change (a 400xx or 410xx validation error), and got it again",
		Hint:    "do not retry a code/msg error: fix the parameter the msg names, then send a corrected request",
		Doc:     "docs/platforms.md#answers-and-the-check-order",
		example: detailOf,
		match: func(t *traffic, i int) bool {
			p := t.same[i]
			return p >= 0 && t.wellFormed(p) && finalCode(t.reqs[p].Code) && t.reqs[p].Code == t.reqs[i].Code && t.reqs[i].Answered
		}},
	{ID: "fast_retry_after_5xx", Severity: SeverityWarning,
		Title: fmt.Sprintf("the same request was sent again within %v of a 5xx, a fault or a dropped connection", FastRetry),
		Hint:  "back off before retrying a failed upload (seconds, growing), as impact itself waits 15 s before its first retry",
		Doc:   "docs/platforms.md#d-ocean-dedup",
		match: func(t *traffic, i int) bool {
			p := t.prev[i]
			if p < 0 {
				return false
			}
			failed := t.reqs[p].Status >= 500 || t.reqs[p].Status == 0 || t.reqs[p].Fault != ""
			return failed && t.reqs[i].Time.Sub(t.reqs[p].Time) < FastRetry
		}},
	{ID: "conv_time_milliseconds", Severity: SeverityError,
		Title:   "conv_time is in milliseconds (over 10^11); the API takes unix seconds (strict mode answers 40007)",
		Hint:    "send conv_time as unix seconds: divide by 1000",
		Doc:     "docs/platforms.md#d-ocean-conv-time",
		example: warningOf("conv_time "),
		match:   func(t *traffic, i int) bool { n, ok := t.convTime(i); return t.legacy(i) && ok && n > 1e11 }},
	{ID: "conv_time_future", Severity: SeverityWarning,
		Title: fmt.Sprintf("conv_time is more than %v after the request arrived", FutureSkew),
		Hint:  "conv_time is when the conversion happened, in UTC unix seconds; check the uploader's clock and time zone",
		Doc:   "docs/platforms.md#d-ocean-conv-time",
		match: func(t *traffic, i int) bool {
			n, ok := t.convTime(i)
			return t.legacy(i) && ok && n <= 1e11 && time.Unix(n, 0).After(t.reqs[i].Time.Add(FutureSkew))
		}},
	{ID: "device_rule", Severity: SeverityError,
		Title:   "no device info, or device info filled in wrongly: none of idfa / imei / oaid, and not os (0 or 1) together with muid (answered 40002)",
		Hint:    "send idfa (iOS), imei or oaid (Android), or os with muid; caid and oaid_md5 alone do not count",
		Doc:     "docs/platforms.md#device-info",
		example: detailOf,
		match:   func(t *traffic, i int) bool { return t.decoded(i) && t.reqs[i].Code == CodeDeviceInfo }},
	{ID: "os_mismatch", Severity: SeverityError,
		Title: "os says Android but an idfa is sent, or iOS with an imei or oaid",
		Hint:  "set os from the device the ids come from: 0 Android (imei, oaid), 1 iOS (idfa)",
		Doc:   "docs/platforms.md#device-info",
		match: func(t *traffic, i int) bool {
			if !t.legacy(i) {
				return false
			}
			switch osWord(t.param(i, ParamOS)) {
			case "android":
				return t.param(i, ParamIDFA) != ""
			case "ios":
				return t.param(i, ParamIMEI) != "" || t.param(i, ParamOAID) != ""
			}
			return false
		}},
	{ID: "unattributed_callback", Severity: SeverityWarning,
		Title: "the callback was not issued by this sandbox (or was altered): the conversion matches no click",
		Hint:  "send back the callback exactly as the click delivered it (URL-decoded once), not a hand-written or re-encoded one",
		Doc:   "docs/platforms.md#d-ocean-strict-attribution",
		match: func(t *traffic, i int) bool {
			a, c := t.reqs[i].Attribution, t.reqs[i].Conversion
			return t.decoded(i) && t.reqs[i].Code == CodeSuccess && a != nil && !a.Attributed && c != nil && c.CallbackParam != ParamLink
		}},
	{ID: "event_type_absent", Severity: SeverityError,
		Title:   "no event_type: answered 40005 (--lenient reads it as 0, 激活 activation: see lenient_event_type_absent)",
		Hint:    "always send event_type, also 0 (JSON encoders that omit zero values drop it)",
		Doc:     "docs/platforms.md#d-ocean-event-type-absent",
		example: detailOf,
		match: func(t *traffic, i int) bool {
			return t.legacy(i) && t.wellFormed(i) && t.param(i, ParamEventType) == "" && t.reqs[i].Code == CodeEventType
		}},
	{ID: "v2_timestamp_seconds", Severity: SeverityError,
		Title:   "v2: timestamp is in seconds (under 10^11); the v2 API takes milliseconds (strict mode answers 41005)",
		Hint:    "send timestamp in milliseconds since 1970: multiply by 1000 (a legacy conv_time is in seconds)",
		Doc:     "docs/platforms.md#d-ocean-v2-timestamp",
		example: warningOf("timestamp "),
		match: func(t *traffic, i int) bool {
			n, err := strconv.ParseInt(t.param(i, "timestamp"), 10, 64)
			return t.v2(i) && t.decoded(i) && err == nil && n > 0 && n < v2SecondsBelow
		}},
	{ID: "v2_unknown_event", Severity: SeverityError,
		Title:   "v2: event_type is not one of the event names (answered 41003)",
		Hint:    "send the SDK's event names (active, active_register, active_pay, form …; postbacksim ocean event-types --api v2): register and pay are not among them",
		Doc:     "docs/platforms.md#d-ocean-v2-event-names",
		example: detailOf,
		match:   func(t *traffic, i int) bool { return t.v2Code(i, V2CodeEventType) }},
	{ID: "v2_missing_callback", Severity: SeverityError,
		Title:   "v2: no context.ad.callback (answered 41004): the conversion matches no click",
		Hint:    "put the click's callback (from __CALLBACK_PARAM__, or a landing page's clickid) in context.ad.callback",
		Doc:     "docs/platforms.md#d-ocean-v2-callback",
		example: detailOf,
		match:   func(t *traffic, i int) bool { return t.v2Code(i, V2CodeMissingCallback) }},
	{ID: "v2_bad_signature", Severity: SeverityError,
		Title:   "v2: x-signature missing or wrong (answered 41009)",
		Hint:    "sign the exact body sent: x-signature is hex(sha256(body + app secret)), computed after the body is encoded",
		Doc:     "docs/platforms.md#d-ocean-v2-signature",
		example: detailOf,
		match:   func(t *traffic, i int) bool { return t.v2Code(i, V2CodeSignature) }},
	{ID: "v2_no_device", Severity: SeverityWarning,
		Title: "v2: an app event accepted without any context.device id: only its callback can attribute it",
		Hint:  "send the device's ids with app events (context.device.imei as MD5, oaid, idfa, android_id …): they attribute the conversion when the callback does not",
		Doc:   "docs/platforms.md#d-ocean-v2-device",
		match: func(t *traffic, i int) bool {
			c := t.reqs[i].Conversion
			return t.v2Code(i, V2CodeSuccess) && c != nil && inAppEvent(c.EventType) && !t.anyParam(i, v2DeviceIDs...)
		}},
	{ID: "v2_platform_device", Severity: SeverityWarning,
		Title: "v2: context.device.platform names a platform whose ids the request lacks (android without android_id, imei, oaid or gaid; ios without idfa or idfv)",
		Hint:  "send the ids of the platform named: android_id (or imei, oaid, gaid) on Android, idfa or idfv on iOS",
		Doc:   "docs/platforms.md#d-ocean-v2-device",
		match: func(t *traffic, i int) bool {
			if !t.v2(i) || !t.decoded(i) {
				return false
			}
			switch strings.ToLower(t.param(i, "context.device.platform")) {
			case "android":
				return !t.anyParam(i, "context.device.android_id", "context.device.android_id_md5", "context.device.imei", "context.device.oaid", "context.device.gaid")
			case "ios":
				return !t.anyParam(i, "context.device.idfa", "context.device.idfv")
			}
			return false
		}},
	{ID: "v2_unknown_fields", Severity: SeverityWarning,
		Title:   "v2: fields the SDK does not have, which the platform drops",
		Hint:    "check the journal's warning for the field named and the one meant (clickid goes in context.ad.callback)",
		Doc:     "docs/platforms.md#d-ocean-v2-fields",
		example: warningOf("fields the SDK does not have"),
		match: func(t *traffic, i int) bool {
			if !t.v2(i) {
				return false
			}
			for _, w := range t.reqs[i].Warnings {
				if strings.HasPrefix(w, "fields the SDK does not have") {
					return true
				}
			}
			return false
		}},
	{ID: "os_word", Severity: SeverityWarning,
		Title:   "os sent as a word (android, ios) where the parameter list's values are 0 and 1: read as the number (strict mode answers 40002)",
		Hint:    "send os as 0 (Android) or 1 (iOS)",
		Doc:     "docs/platforms.md#d-os-words",
		example: warningOf("os "),
		match:   func(t *traffic, i int) bool { return t.legacy(i) && t.warned(i, "os ") }},
	{ID: "v2_legacy_event_type", Severity: SeverityWarning,
		Title:   "v2: event_type is a /track/activate/ number, read as its v2 name (strict mode answers 41003)",
		Hint:    "send the v2 event name (postbacksim ocean event-types --api v2)",
		Doc:     "docs/platforms.md#d-ocean-v2-event-names",
		example: warningOf("event_type is "),
		match:   func(t *traffic, i int) bool { return t.v2(i) && t.warned(i, "event_type is ") }},
	{ID: "v2_timestamp_absent", Severity: SeverityWarning,
		Title:   "v2: no timestamp: the event's time is taken as the time received (strict mode answers 41005)",
		Hint:    "send timestamp, the event's time in milliseconds, especially when uploading later than it happened",
		Doc:     "docs/platforms.md#d-ocean-v2-timestamp",
		example: warningOf("timestamp absent"),
		match:   func(t *traffic, i int) bool { return t.v2(i) && t.warned(i, "timestamp absent") }},
	{ID: "v2_not_utf8", Severity: SeverityWarning,
		Title:   "v2: text that is not UTF-8 in the JSON body (strict mode answers 41002)",
		Hint:    "encode the body as UTF-8, as JSON requires",
		Doc:     "docs/platforms.md#d-ocean-v2-utf8",
		example: warningOf("not UTF-8"),
		match:   func(t *traffic, i int) bool { return t.v2(i) && t.warned(i, "not UTF-8") }},
	{ID: "v2_scenario_fields", Severity: SeverityWarning,
		Title:   "v2: attribute_label or biz_type outside what the SDK says the scenario takes",
		Hint:    "send attribute_label convert and biz_type 4, or leave them out",
		Doc:     "docs/platforms.md#d-ocean-v2-fields",
		example: warningOf("attribute_label ", "biz_type "),
		match:   func(t *traffic, i int) bool { return t.v2(i) && t.warned(i, "attribute_label ", "biz_type ") }},
	{ID: "v2_rs256_unchecked", Severity: SeverityInfo,
		Title:   "v2: signed with x-rs256-token, whose signature the sandbox cannot check (it holds no public key): its form was checked, not the signature",
		Hint:    "send x-signature too to have the signature checked here",
		Doc:     "docs/platforms.md#d-ocean-v2-signature",
		example: warningOf("x-rs256-token"),
		match:   func(t *traffic, i int) bool { return t.v2(i) && t.warned(i, "x-rs256-token") }},
	{ID: "accepted_with_other_warnings", Severity: SeverityWarning,
		Title: "answered with a warning no other finding names",
		Hint:  "read the warning (the example, or the journal's warnings) and fix what it names",
		Doc:   "docs/platforms.md#ocean-engine-conversion-callback",
		match: func(t *traffic, i int) bool {
			for _, w := range t.reqs[i].Warnings {
				if !knownWarning(t.legacy(i), w) {
					return true
				}
			}
			return false
		},
		example: func(r *Request) string {
			for _, w := range r.Warnings {
				if !knownWarning(r.API == "", w) {
					return w
				}
			}
			return ""
		}},
}, append(leniencyRules(), rejectionRules()...)...)

// detailOf is a request's detail: the check that decided its answer.
func detailOf(r *Request) string { return r.Detail }

// warningOf returns a request's first warning starting with one of
// prefixes.
func warningOf(prefixes ...string) func(r *Request) string {
	return func(r *Request) string {
		for _, w := range r.Warnings {
			for _, p := range prefixes {
				if strings.HasPrefix(w, p) {
					return w
				}
			}
		}
		return ""
	}
}

// knownWarning reports whether a warning of a legacy (or v2) request is
// one a finding of its own names.
func knownWarning(legacy bool, w string) bool {
	prefixes := []string{"os ", "conv_time "}
	if !legacy {
		prefixes = []string{"event_type is ", "timestamp ", "not UTF-8", "attribute_label ", "biz_type ", "x-rs256-token", "fields the SDK does not have"}
	}
	for _, l := range leniencies {
		prefixes = append(prefixes, l.WarningPrefix())
	}
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(w, p) })
}

// dedicatedCodes are the rejections with a finding of their own.
var dedicatedCodes = map[int]bool{
	CodeDeviceInfo: true, CodeDuplicate: true, CodeInvalidBody: true,
	V2CodeInvalidBody: true, V2CodeEventType: true, V2CodeMissingCallback: true, V2CodeSignature: true, V2CodeDuplicate: true,
}

// rejectionRules finds every other rejection, one rule per code of the
// two catalogs: what was refused, and the check that decided (the
// journal's detail, the finding's example).
func rejectionRules() []LintRule {
	var rules []LintRule
	add := func(code int, msg, when string, v2 bool, anchor string) {
		if code == 0 || dedicatedCodes[code] {
			return
		}
		api := "/track/activate/"
		if v2 {
			api = "/api/v2/conversion"
		}
		rules = append(rules, LintRule{ID: fmt.Sprintf("rejected_%d", code), Severity: SeverityError, example: detailOf,
			Title: fmt.Sprintf("%s answered %d %q: %s", api, code, msg, when),
			Hint:  "fix what the example (the journal's detail) names, then send a corrected request: resending it unchanged gets the same answer",
			Doc:   "docs/platforms.md#" + anchor,
			match: func(t *traffic, i int) bool {
				if code == CodeEventType && t.param(i, ParamEventType) == "" {
					return false // event_type_absent
				}
				return t.v2(i) == v2 && t.wellFormed(i) && t.reqs[i].Answered && t.reqs[i].Code == code && t.reqs[i].Fault == ""
			}})
	}
	for _, r := range catalog {
		add(r.Code, r.Msg, r.When, false, "answers-and-the-check-order")
	}
	for _, r := range v2Catalog {
		add(r.Code, r.Message, r.When, true, "ocean-engine-conversion-api-v2")
	}
	return rules
}

// LintRules returns the traffic lint's rules, in report order.
func LintRules() []LintRule { return append([]LintRule(nil), lintRules...) }

// leniencyRules finds the requests accepted only because of lenient
// mode, one rule per leniency.
func leniencyRules() []LintRule {
	var rules []LintRule
	for _, l := range leniencies {
		prefix := l.WarningPrefix()
		rules = append(rules, LintRule{ID: "lenient_" + l.Name, Severity: SeverityError, example: warningOf(prefix),
			Title: fmt.Sprintf("accepted only under --lenient: %s (answered %d otherwise)", l.Accepts, l.Code),
			Hint:  l.Fix,
			Doc:   "docs/platforms.md#" + l.Anchor,
			match: func(t *traffic, i int) bool {
				return slices.ContainsFunc(t.reqs[i].Warnings, func(w string) bool { return strings.HasPrefix(w, prefix) })
			}})
	}
	return rules
}

// requestIdentity is the conversion a request is for: its outer_event_id,
// or without one its callback and event type; "" when it has neither.
func requestIdentity(r *Request) string {
	p := r.Params
	id := p[ParamOuterEventID]
	if r.API == APIV2 && id == "" {
		id = p["context.ad.outer_event_id"]
	}
	if id != "" {
		return r.API + "\x00id\x00" + id
	}
	cb := p[ParamCallback]
	if r.API == APIV2 {
		cb = p["context.ad.callback"]
	}
	if cb == "" {
		return ""
	}
	return r.API + "\x00cb\x00" + cb + "\x00" + p[ParamEventType]
}

// requestKey identifies a resend: the same method and parameters.
func requestKey(r *Request) string {
	names := make([]string, 0, len(r.Params))
	for k := range r.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(r.Method)
	for _, k := range names {
		b.WriteString("\x00" + k + "\x01" + r.Params[k])
	}
	return b.String()
}

// Lint reads an uploader's requests (oldest first, as the journal keeps
// them) and reports the findings of LintRules, the answers it got and the
// event types it used. It is pure: the same requests give the same report.
func Lint(reqs []Request) TrafficReport {
	t := &traffic{reqs: reqs, prev: make([]int, len(reqs)), same: make([]int, len(reqs))}
	last, lastSame := map[string]int{}, map[string]int{}
	for i := range reqs {
		t.prev[i], t.same[i] = -1, -1
		if reqs[i].Params == nil {
			continue
		}
		k := requestKey(&reqs[i])
		if p, ok := last[k]; ok {
			t.prev[i] = p
		}
		last[k] = i
		if id := requestIdentity(&reqs[i]); id != "" {
			if p, ok := lastSame[id]; ok {
				t.same[i] = p
			}
			lastSame[id] = i
		}
	}
	rep := TrafficReport{Requests: len(reqs), Findings: []Finding{}, Codes: []CodeCount{}, EventTypes: []EventTypeCount{}}
	for _, rule := range lintRules {
		f := Finding{LintRule: rule, Seqs: []uint64{}}
		for i := range reqs {
			if rule.match(t, i) {
				f.Count++
				if len(f.Seqs) < MaxExampleSeqs {
					f.Seqs = append(f.Seqs, reqs[i].Seq)
				}
				if f.Count == 1 && rule.example != nil {
					f.Example = rule.example(&reqs[i])
				}
			}
		}
		if f.Count > 0 {
			rep.Findings = append(rep.Findings, f)
		}
	}
	codes := map[[2]int]*CodeCount{}
	types := map[string]*EventTypeCount{}
	for i := range reqs {
		r := &reqs[i]
		key := [2]int{r.Status, r.Code}
		if r.Status != http.StatusOK {
			key[1] = 0
		}
		if codes[key] == nil {
			c := &CodeCount{Status: key[0], Code: key[1]}
			if r.Status == http.StatusOK {
				c.Msg = r.Msg
			}
			codes[key] = c
		}
		codes[key].Count++
		if r.Params == nil {
			continue // nothing was read (405, 413)
		}
		et := r.Params[ParamEventType]
		if types[et] == nil {
			e := &EventTypeCount{EventType: et}
			if n, err := strconv.Atoi(et); err == nil {
				for _, d := range EventTypes() {
					if d.Value == n {
						e.Name = d.English
					}
				}
			}
			if et == "" {
				e.Name = "absent"
			}
			types[et] = e
		}
		types[et].Count++
	}
	for _, c := range codes {
		rep.Codes = append(rep.Codes, *c)
	}
	sort.Slice(rep.Codes, func(i, j int) bool {
		a, b := rep.Codes[i], rep.Codes[j]
		if a.Status != b.Status {
			return a.Status < b.Status
		}
		return a.Code < b.Code
	})
	for _, e := range types {
		rep.EventTypes = append(rep.EventTypes, *e)
	}
	sort.Slice(rep.EventTypes, func(i, j int) bool {
		a, b := rep.EventTypes[i], rep.EventTypes[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.EventType < b.EventType
	})
	return rep
}

// Window keeps the requests that arrived in [since, until); a zero bound
// is open.
func Window(reqs []Request, since, until time.Time) []Request {
	var out []Request
	for _, r := range reqs {
		if (!since.IsZero() && r.Time.Before(since)) || (!until.IsZero() && !r.Time.Before(until)) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// LintWindow lints the requests in [since, until) and records the window.
func LintWindow(reqs []Request, since, until time.Time) TrafficReport {
	rep := Lint(Window(reqs, since, until))
	if !since.IsZero() {
		rep.Since = &since
	}
	if !until.IsZero() {
		rep.Until = &until
	}
	return rep
}

// WriteText writes rep for a person.
func (rep TrafficReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Ocean uploader traffic: %d requests", rep.Requests)
	if rep.Since != nil {
		fmt.Fprintf(&b, " since %s", rep.Since.Format(time.RFC3339))
	}
	if rep.Until != nil {
		fmt.Fprintf(&b, " until %s", rep.Until.Format(time.RFC3339))
	}
	b.WriteString("\n\n")
	if len(rep.Findings) == 0 {
		b.WriteString("findings: none\n")
	} else {
		b.WriteString("findings:\n")
	}
	for _, f := range rep.Findings {
		seqs := make([]string, len(f.Seqs))
		for i, s := range f.Seqs {
			seqs[i] = strconv.FormatUint(s, 10)
		}
		fmt.Fprintf(&b, "  %-7s %-26s %5d  e.g. requests %s\n", strings.ToUpper(f.Severity), f.ID, f.Count, strings.Join(seqs, ", "))
		fmt.Fprintf(&b, "          %s\n", f.Title)
		if f.Example != "" {
			fmt.Fprintf(&b, "          e.g.: %s\n", f.Example)
		}
		fmt.Fprintf(&b, "          fix: %s\n          see: %s\n", f.Hint, f.Doc)
	}
	b.WriteString("\nanswers:\n")
	for _, c := range rep.Codes {
		fmt.Fprintf(&b, "  %5d  %s\n", c.Count, c.label())
	}
	b.WriteString("\nevent types:\n")
	for _, e := range rep.EventTypes {
		fmt.Fprintf(&b, "  %5d  %s\n", e.Count, e.label())
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("ocean report: %w", err)
	}
	return nil
}

func (c CodeCount) label() string {
	switch c.Status {
	case http.StatusOK:
		return fmt.Sprintf("code %d %s", c.Code, c.Msg)
	case 0:
		return "connection dropped (fault)"
	}
	return fmt.Sprintf("HTTP %d %s", c.Status, http.StatusText(c.Status))
}

func (e EventTypeCount) label() string {
	if e.EventType == "" {
		return "event_type absent"
	}
	if e.Name == "" {
		return "event_type " + e.EventType + " (not in the enum)"
	}
	return "event_type " + e.EventType + " " + e.Name
}

var trafficHTML = template.Must(template.New("traffic").Funcs(template.FuncMap{"upper": strings.ToUpper}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>postbacksim: Ocean uploader traffic</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
.error{background:#fbe0e0}.warning{background:#fff4cc}.info{background:#e8f0fb}
</style></head><body>
<h1>Ocean uploader traffic: {{.Requests}} requests</h1>
{{if .Since}}<p>since {{.Since}}</p>{{end}}{{if .Until}}<p>until {{.Until}}</p>{{end}}
<h2>Findings</h2>
{{if not .Findings}}<p>None.</p>{{else}}<table><tr><th>severity</th><th>finding</th><th>count</th><th>examples (seq)</th><th>what and how to fix</th></tr>
{{range .Findings}}<tr class="{{.Severity}}"><td>{{upper .Severity}}</td><td><code>{{.ID}}</code></td><td>{{.Count}}</td><td>{{range .Seqs}}{{.}} {{end}}</td>
<td>{{.Title}}{{if .Example}}<br><b>e.g.:</b> {{.Example}}{{end}}<br><b>fix:</b> {{.Hint}}<br><b>see:</b> {{.Doc}}</td></tr>
{{end}}</table>{{end}}
<h2>Answers</h2><table>{{range .Codes}}<tr><td>{{.Count}}</td><td>{{.Label}}</td></tr>{{end}}</table>
<h2>Event types</h2><table>{{range .EventTypes}}<tr><td>{{.Count}}</td><td>{{.Label}}</td></tr>{{end}}</table>
</body></html>
`))

// Label is the histogram bar's text (code and msg, or the HTTP status).
func (c CodeCount) Label() string { return c.label() }

// Label is the event type's text.
func (e EventTypeCount) Label() string { return e.label() }

// WriteHTML writes rep as a self-contained page (inline CSS, escaped).
func (rep TrafficReport) WriteHTML(w io.Writer) error {
	if err := trafficHTML.Execute(w, rep); err != nil {
		return fmt.Errorf("ocean report: %w", err)
	}
	return nil
}

// getReport serves GET /_admin/ocean/report?since=&until=&format=&fail_on=
// (fail_on: the severity from which a JUnit testcase fails, error by
// default).
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var bounds [2]time.Time
	for i, name := range []string{"since", "until"} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query parameter %s: %q is not an RFC 3339 time (2026-04-08T09:00:00Z)", name, v))
				return
			}
			bounds[i] = t
		}
	}
	f := q.Get("format")
	if f != "" && f != "json" && f != "text" && f != "html" && f != "junit" {
		httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query parameter format: %q: want json, text, html or junit", f))
		return
	}
	failOn := q.Get("fail_on")
	if failOn == "" {
		failOn = SeverityError
	}
	if SeverityRank(failOn) == 0 && failOn != "never" {
		httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query parameter fail_on: %q: want error, warning, info or never", failOn))
		return
	}
	reqs, err := s.Requests(r.Context())
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	rep := LintWindow(reqs, bounds[0], bounds[1])
	switch f {
	case "", "json":
		httpjson.Write(w, http.StatusOK, rep)
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_ = rep.WriteText(w)
	case "html":
		httpjson.HTMLHeaders(w.Header())
		_ = rep.WriteHTML(w)
	case "junit":
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_ = rep.WriteJUnit(w, failOn)
	}
}
