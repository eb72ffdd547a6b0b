package mockocean

import "strings"

// Leniency is one thing real clients are known to send outside an
// explicit rule of the Ocean document. By default the request gets the
// documented answer (Code); Config.Lenient accepts it, with a journal
// warning that starts with WarningPrefix, and `ocean report` finds it.
type Leniency struct {
	// Name is the leniency's stable identifier (also its report
	// finding's, as "lenient_" + Name).
	Name string `json:"name"`
	// Rule quotes the document's explicit rule.
	Rule string `json:"rule"`
	// Accepts says in words what Config.Lenient accepts.
	Accepts string `json:"accepts"`
	// Code is the answer without Config.Lenient.
	Code int `json:"code"`
	// Example is a request that needs the leniency: a method, a path
	// with its query and, for a POST, a form body after a blank.
	Example string `json:"example"`
	// Fix says what the uploader should send instead.
	Fix string `json:"fix"`
	// Anchor is the entry in docs/platforms.md that describes it.
	Anchor string `json:"anchor"`
}

// WarningPrefix starts the journal warning of a request accepted under
// this leniency.
func (l Leniency) WarningPrefix() string { return "lenient " + l.Name + ": " }

// The leniencies, by name.
const (
	LenientPostQuery       = "post_query"
	LenientNotUTF8         = "not_utf8"
	LenientURLNotEncoded   = "url_not_encoded"
	LenientLinkOnly        = "link_only"
	LenientEventTypeAbsent = "event_type_absent"
	LenientExt             = "ext"
)

// leniencies is the table of leniencies: the only copy. It drives
// Validate, the docs' table, `ocean report` and the tests.
var leniencies = []Leniency{
	{Name: LenientPostQuery, Fix: "put every parameter of a POST in its body (form or JSON), none in the URL",
		Code: CodeInvalidBody, Anchor: "d-ocean-post-query",
		Rule:    "POST方式下请求参数需要包含在请求的Body中",
		Accepts: "a POST's query string is read too (the body wins)",
		Example: "POST /track/activate/?callback=c&idfa=i&event_type=2"},
	{Name: LenientNotUTF8, Fix: "encode text as UTF-8 before URL-encoding it (GBK clients lose Chinese text)",
		Code: CodeEncoding, Anchor: "d-ocean-utf8",
		Rule:    "统一采用 UTF-8 的编码格式",
		Accepts: "a parameter whose name or value is not UTF-8",
		Example: "GET /track/activate/?callback=c&idfa=i&event_type=2&source=%D6%D0%CE%C4"},
	{Name: LenientURLNotEncoded, Fix: "URL-encode every parameter value (url.QueryEscape, encodeURIComponent)",
		Code: CodeEncoding, Anchor: "d-ocean-url-encoding",
		Rule:    "url 中的参数如果包含非 ASC 字符，需要进行 url encode 传递",
		Accepts: "non-ASCII characters sent raw (not URL-encoded) in the URL",
		Example: "GET /track/activate/?callback=c&idfa=i&event_type=2&source=中文"},
	{Name: LenientLinkOnly, Fix: "send the device info with a web conversion too (idfa, imei or oaid, or os with muid)",
		Code: CodeDeviceInfo, Anchor: "d-ocean-link-only",
		Rule:    "设备信息为必传字段",
		Accepts: "a request identified by `link` alone (a web landing-page conversion) without device info",
		Example: "GET /track/activate/?link=https%3A%2F%2Fexample.com%2Fland&event_type=3"},
	{Name: LenientEventTypeAbsent, Fix: "always send event_type, also 0 (JSON encoders that omit zero values drop it)",
		Code: CodeEventType, Anchor: "d-ocean-event-type-absent",
		Rule:    "event_type 是否必须：是",
		Accepts: "an absent or empty event_type, read as 0 (激活 activation)",
		Example: "GET /track/activate/?callback=c&idfa=i"},
	{Name: LenientExt, Fix: "send the documented parameters at the top level, not inside ext",
		Code: CodeDeviceInfo, Anchor: "d-ocean-ext",
		Rule:    "参数列表 (the parameter list names top-level parameters only)",
		Accepts: "documented parameters inside an `ext` JSON object, read when absent at the top level",
		Example: `GET /track/activate/?callback=c&event_type=2&ext=%7B%22idfa%22%3A%22i%22%7D`},
}

// Leniencies returns the leniencies Config.Lenient allows, in table
// order.
func Leniencies() []Leniency { return append([]Leniency(nil), leniencies...) }

var leniencyByName = func() map[string]*Leniency {
	m := map[string]*Leniency{}
	for i := range leniencies {
		m[leniencies[i].Name] = &leniencies[i]
	}
	return m
}()

// LeniencyOf returns the leniency a journal warning was accepted under.
func LeniencyOf(warning string) (Leniency, bool) {
	rest, ok := strings.CutPrefix(warning, "lenient ")
	if !ok {
		return Leniency{}, false
	}
	name, _, ok := strings.Cut(rest, ": ")
	if !ok {
		return Leniency{}, false
	}
	l, ok := leniencyByName[name]
	if !ok {
		return Leniency{}, false
	}
	return *l, true
}
