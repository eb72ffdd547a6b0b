package mockocean

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Answer codes of /track/activate/. The Ocean Engine document documents the
// messages; the numbers are our decision (docs/platforms.md#d-ocean-codes).
const (
	CodeSuccess         = 0
	CodeMissingCallback = 40001
	CodeDeviceInfo      = 40002
	CodeOuterEventID    = 40003
	CodeDuplicate       = 40004
	CodeEventType       = 40005
	CodeConvTime        = 40007
	CodeMatchType       = 40008
	CodeProps           = 40009
	CodeInvalidBody     = 40010
	CodeCallbackInvalid = 40011
	CodeEncoding        = 40012
	codeNoCheck         = -1 // order of rules that are not checked by Validate
)

// Rule is one row of the error catalog: an answer the emulator gives and
// the check that leads to it.
type Rule struct {
	// Code is the answer's code (and ret).
	Code int `json:"code"`
	// Msg is the answer's msg, exactly as documented.
	Msg string `json:"msg"`
	// When says in words what triggers it.
	When string `json:"when"`
	// Order is the rule's place in the check order (1 first); 0 for success.
	Order int `json:"order"`
	// Documented reports whether the Ocean Engine document documents the
	// message (true) or it is our decision (false; docs/platforms.md,
	// Decisions where the documents are silent or contradict themselves).
	Documented bool `json:"documented"`

	check   checkFunc
	payload []byte // the pre-rendered response body
}

// catalog is the error catalog, by code: the only copy. It drives
// Validate, the docs' table, the admin catalog endpoint and the tests.
var catalog = []Rule{
	{Code: CodeSuccess, Msg: "success", When: "accepted", Documented: true},
	{Code: CodeMissingCallback, Msg: "missing params callback", Order: 3, Documented: true,
		When: "none of callback / callback_param / callback_url / link", check: checkCallback},
	{Code: CodeDeviceInfo, Msg: "params muid is empty", Order: 4, Documented: true,
		When: "device info missing or filled in wrongly: none of idfa / imei / oaid, and not os together with muid, or an os other than 0 and 1 (`android` / `ios` read with a warning; an error in strict mode)", check: checkDevice},
	{Code: CodeOuterEventID, Msg: "参数：outer_event_id无效", Order: 9, Documented: true,
		When: "outer_event_id longer than 200 characters", check: checkOuterEventID},
	{Code: CodeDuplicate, Msg: "重复的请求，系统已自动过滤", Order: 11, Documented: true,
		When: "the same non-empty outer_event_id was accepted before (only a request that passes every other check uses up its id)"},
	{Code: CodeEventType, Msg: "params event_type is invalid", Order: 5,
		When: "event_type absent, not an integer or not in the enum", check: checkEventType},
	{Code: CodeConvTime, Msg: "params conv_time is invalid", Order: 6,
		When: "conv_time not a non-negative unix-seconds integer (a milliseconds value is read with a warning; an error in strict mode)", check: checkConvTime},
	{Code: CodeMatchType, Msg: "params match_type is invalid", Order: 7,
		When: "match_type not 0, 1 or 2", check: checkMatchType},
	{Code: CodeProps, Msg: "params props is invalid", Order: 8,
		When: "props not a JSON object", check: checkProps},
	{Code: CodeInvalidBody, Msg: "invalid request body", Order: 1,
		When: "a POST body (or query string) that cannot be parsed, or a POST with parameters in its query string", check: checkBody},
	{Code: CodeEncoding, Msg: "params " + fieldPlaceholder + " is invalid", Order: 2,
		When: "a parameter name or value that is not UTF-8, or non-ASCII characters not URL-encoded in the URL; the msg names the first such parameter", check: checkEncoding},
	{Code: CodeCallbackInvalid, Msg: "callback is invalid", Order: 10,
		When: "strict attribution mode only: a callback the emulator never issued", check: checkAttribution},
}

// fieldPlaceholder stands for the parameter's name in a catalog message
// that names one (CodeEncoding): the answer says "params source is
// invalid".
const fieldPlaceholder = "<name>"

// Matches reports whether msg is an answer r gives: its Msg, with a
// parameter's name in place of the placeholder where the Msg names one
// ("params source is invalid").
func (r Rule) Matches(msg string) bool {
	before, after, ok := strings.Cut(r.Msg, fieldPlaceholder)
	if !ok {
		return msg == r.Msg
	}
	return len(msg) > len(before)+len(after) && strings.HasPrefix(msg, before) && strings.HasSuffix(msg, after)
}

// Catalog returns a copy of the error catalog, by code.
func Catalog() []Rule { return slices.Clone(catalog) }

// checkOrder is the catalog's checked rules sorted by Order.
var checkOrder []*Rule

var ruleByCode = map[int]*Rule{}

func init() {
	for i := range catalog {
		r := &catalog[i]
		r.payload = renderAnswer(r.Code, r.Msg)
		ruleByCode[r.Code] = r
		if r.check != nil {
			checkOrder = append(checkOrder, r)
		}
	}
	slices.SortFunc(checkOrder, func(a, b *Rule) int { return a.Order - b.Order })
}

// LookupRule returns the catalog row for code.
func LookupRule(code int) (Rule, bool) {
	r, ok := ruleByCode[code]
	if !ok {
		return Rule{}, false
	}
	return *r, true
}

// Answer is the JSON body of every /track/activate/ answer.
type Answer struct {
	Code int    `json:"code"`
	Ret  int    `json:"ret"`
	Msg  string `json:"msg"`
}

// renderAnswer renders {"code":…,"ret":…,"msg":…} with the documented key
// order and msg as raw UTF-8.
func renderAnswer(code int, msg string) []byte {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Answer{Code: code, Ret: code, Msg: msg}); err != nil {
		panic(fmt.Sprintf("mockocean: rendering answer %d: %v", code, err))
	}
	return []byte(strings.TrimSuffix(b.String(), "\n"))
}

// answerBody returns the response body for code and msg, using the
// pre-rendered bytes when msg is the catalog's.
func answerBody(code int, msg string) []byte {
	if r, ok := ruleByCode[code]; ok && r.Msg == msg {
		return r.payload
	}
	return renderAnswer(code, msg)
}

// CatalogMarkdown renders the catalog as the Markdown table in the README,
// in check order.
func CatalogMarkdown() string {
	var b strings.Builder
	b.WriteString("| check | code | msg | when | source |\n| --- | --- | --- | --- | --- |\n")
	rows := append([]*Rule{ruleByCode[CodeSuccess]}, checkOrder...)
	rows = append(rows, ruleByCode[CodeDuplicate])
	for _, r := range rows {
		order := "—"
		if r.Order > 0 {
			order = fmt.Sprint(r.Order)
		}
		src := "decision"
		if r.Documented {
			src = "document"
		}
		fmt.Fprintf(&b, "| %s | %d | `%s` | %s | %s |\n", order, r.Code, r.Msg, r.When, src)
	}
	return b.String()
}
