package mockocean

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// V2Path is the newer conversion gateway's path (POST, JSON):
// https://analytics.oceanengine.com/api/v2/conversion.
const V2Path = "/api/v2/conversion"

// API names which conversion API a journaled request used (Request.API).
const (
	// APITrack is /track/activate/ (GET or POST, parameters).
	APITrack = "track"
	// APIV2 is /api/v2/conversion (POST, a JSON document).
	APIV2 = "v2"
)

// Answer codes of /api/v2/conversion. No public document lists the v2
// codes: 0 is success in every client, and the numbers of the failures
// are our decision (docs/platforms.md#d-ocean-v2-codes), apart from the
// legacy ones so that a report tells the two APIs apart. 128, which one
// SDK reads as success without saying why, is never answered
// (docs/platforms.md#d-ocean-v2-code-128).
const (
	V2CodeSuccess         = 0
	V2CodeInvalidBody     = 41001
	V2CodeEncoding        = 41002
	V2CodeEventType       = 41003
	V2CodeMissingCallback = 41004
	V2CodeTimestamp       = 41005
	V2CodeMatchType       = 41006
	V2CodeProperties      = 41007
	V2CodeOuterEventID    = 41008
	V2CodeSignature       = 41009
	V2CodeCallbackInvalid = 41010
	V2CodeDuplicate       = 41011
)

// V2Rule is one row of the v2 answer catalog: an answer and the check
// that leads to it.
type V2Rule struct {
	// Code is the answer's code.
	Code int `json:"code"`
	// Message is the answer's message.
	Message string `json:"message"`
	// When says in words what triggers it.
	When string `json:"when"`
	// Order is the rule's place in the check order (1 first); 0 for
	// success and the duplicate, which state decides last.
	Order int `json:"order"`

	check v2CheckFunc
}

// v2Catalog is the v2 answer catalog: the only copy. It drives
// ValidateV2, the docs' table, the admin catalog endpoint and the tests.
var v2Catalog = []V2Rule{
	{Code: V2CodeSuccess, Message: "success", When: "accepted"},
	{Code: V2CodeInvalidBody, Message: "invalid request body", Order: 1, check: v2CheckBody,
		When: "the body is not one JSON object, a field has the wrong JSON type (a device id that is not a string …), or a field the SDK does not have (a warning; an error in strict mode)"},
	{Code: V2CodeSignature, Message: "invalid signature", Order: 2, check: v2CheckSignature,
		When: "with an app secret set: no x-signature (nor x-rs256-token), or one that is not 64 hex digits, or not hex(sha256(body + secret)); or, instead of x-signature, a malformed x-rs256-token (want credential primary or backup, timestamp in seconds, signature in Base64)"},
	{Code: V2CodeEncoding, Message: "params " + fieldPlaceholder + " is invalid", Order: 3, check: v2CheckEncoding,
		When: "a text that is not UTF-8; the message names the first such field (a warning; an error in strict mode)"},
	{Code: V2CodeEventType, Message: "params event_type is invalid", Order: 4, check: v2CheckEventType,
		When: "event_type absent, or not one of the event names (a legacy number, as a JSON number or digits, is read as its event with a warning; an error in strict mode)"},
	{Code: V2CodeMissingCallback, Message: "missing params context.ad.callback", Order: 5, check: v2CheckCallback,
		When: "context.ad.callback absent or empty"},
	{Code: V2CodeTimestamp, Message: "params timestamp is invalid", Order: 6, check: v2CheckTimestamp,
		When: "timestamp not a positive integer of milliseconds (absent, or in seconds: a warning; an error in strict mode)"},
	{Code: V2CodeMatchType, Message: "params context.ad.match_type is invalid", Order: 7, check: v2CheckMatchType,
		When: "context.ad.match_type not 0, 1 or 2"},
	{Code: V2CodeProperties, Message: "params properties is invalid", Order: 8, check: v2CheckProperties,
		When: "properties not a JSON object, or pay_amount or order_amount in it not a non-negative number"},
	{Code: V2CodeOuterEventID, Message: "params outer_event_id is invalid", Order: 9, check: v2CheckOuterEventID,
		When: "outer_event_id longer than 200 characters"},
	{Code: V2CodeCallbackInvalid, Message: "callback is invalid", Order: 10, check: v2CheckAttribution,
		When: "strict attribution mode only: a callback the emulator never issued"},
	{Code: V2CodeDuplicate, Message: "重复的请求，系统已自动过滤",
		When: "the same non-empty outer_event_id was accepted before, by either API (only a request that passes every other check uses up its id; a request with X-Debug-Mode: 1 neither uses one up nor is filtered)"},
}

var (
	v2RuleByCode = map[int]*V2Rule{}
	// v2AnswerPrefix is each catalog answer rendered up to its
	// request_id's value: {"code":N,"message":"…","request_id":"
	v2AnswerPrefix  = map[int][]byte{}
	v2CheckOrder    []*V2Rule
	v2EventByName   = map[string]*V2EventType{}
	v2EventByLegacy = map[int]*V2EventType{}
)

func init() {
	for i := range v2Catalog {
		r := &v2Catalog[i]
		v2RuleByCode[r.Code] = r
		full := renderV2Answer(r.Code, r.Message, "\x00") // a marker the encoder escapes
		v2AnswerPrefix[r.Code] = full[:bytes.LastIndex(full, []byte(`\u0000"}`))]
		if r.check != nil {
			v2CheckOrder = append(v2CheckOrder, r)
		}
	}
	slices.SortFunc(v2CheckOrder, func(a, b *V2Rule) int { return a.Order - b.Order })
	for i := range v2EventTypes {
		e := &v2EventTypes[i]
		v2EventByName[e.Name] = e
		if e.Legacy >= 0 {
			v2EventByLegacy[e.Legacy] = e
		}
	}
}

// V2Catalog returns a copy of the v2 answer catalog: success, then the
// checks in order, then the duplicate.
func V2Catalog() []V2Rule {
	out := []V2Rule{*v2RuleByCode[V2CodeSuccess]}
	for _, r := range v2CheckOrder {
		out = append(out, *r)
	}
	return append(out, *v2RuleByCode[V2CodeDuplicate])
}

// V2EventTypes returns a copy of the v2 event_type enum.
func V2EventTypes() []V2EventType { return slices.Clone(v2EventTypes) }

// LookupV2Rule returns the v2 catalog row of code.
func LookupV2Rule(code int) (V2Rule, bool) {
	r, ok := v2RuleByCode[code]
	if !ok {
		return V2Rule{}, false
	}
	return *r, true
}

// V2Answer is the body of every answer of /api/v2/conversion.
type V2Answer struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	// RequestID names the request in the journal (Request.RequestID).
	RequestID string `json:"request_id"`
}

// renderV2Answer renders the answer with the keys in the SDK's order and
// the message as raw UTF-8.
func renderV2Answer(code int, msg, requestID string) []byte {
	if prefix, ok := v2AnswerPrefix[code]; ok && v2RuleByCode[code].Message == msg && plainID(requestID) {
		b := make([]byte, 0, len(prefix)+len(requestID)+2)
		return append(append(append(b, prefix...), requestID...), '"', '}')
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(V2Answer{Code: code, Message: msg, RequestID: requestID}); err != nil {
		panic(fmt.Sprintf("mockocean: rendering v2 answer %d: %v", code, err))
	}
	return []byte(strings.TrimSuffix(b.String(), "\n"))
}

// V2CatalogMarkdown renders the v2 catalog as a Markdown table, in check
// order.
func V2CatalogMarkdown() string {
	var b strings.Builder
	b.WriteString("| check | code | message | when |\n| --- | --- | --- | --- |\n")
	for _, r := range V2Catalog() {
		order := "—"
		if r.Order > 0 {
			order = fmt.Sprint(r.Order)
		}
		fmt.Fprintf(&b, "| %s | `%d` | `%s` | %s |\n", order, r.Code, r.Message, r.When)
	}
	return b.String()
}

// V2EventTypesMarkdown renders the v2 event types as a Markdown table.
func V2EventTypesMarkdown() string {
	var b strings.Builder
	b.WriteString("| event_type | legacy number | what |\n| --- | --- | --- |\n")
	for _, e := range v2EventTypes {
		legacy := "—"
		if e.Legacy >= 0 {
			legacy = fmt.Sprint(e.Legacy)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", e.Name, legacy, e.English)
	}
	return b.String()
}

// v2RequestID is the request_id of the v2 request journaled as e: its
// time (UTC, to the second) and its number in the journal, so that a
// request_id a client logged finds its request (Request.RequestID).
func v2RequestID(e *Entry) string {
	b := make([]byte, 0, 26)
	b = e.Time.UTC().AppendFormat(b, "20060102150405")
	seq := strconv.AppendUint(nil, e.Seq, 10)
	for range 12 - len(seq) {
		b = append(b, '0')
	}
	return string(append(b, seq...))
}

// plainID reports that id needs no escaping in a JSON string: the
// request ids v2RequestID makes (digits) do not.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}
