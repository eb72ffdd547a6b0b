package mockocean

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// valid is a request that passes every check; tests change one thing.
func valid() map[string]string {
	return map[string]string{
		"callback":   "EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIAQ==",
		"imei":       "0c2bd03c39f19845bf54ea0abafae70e",
		"event_type": "0",
	}
}

func with(base map[string]string, kv ...string) map[string]string {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<absent>" {
			delete(base, kv[i])
		} else {
			base[kv[i]] = kv[i+1]
		}
	}
	return base
}

// TestCatalogRows triggers every checked row of the catalog.
func TestCatalogRows(t *testing.T) {
	cases := map[int]Input{
		CodeSuccess:         {Values: valid()},
		CodeInvalidBody:     {Values: valid(), BodyError: "JSON body: unexpected EOF"},
		CodeMissingCallback: {Values: with(valid(), "callback", "<absent>")},
		CodeDeviceInfo:      {Values: with(valid(), "imei", "<absent>")},
		CodeEventType:       {Values: with(valid(), "event_type", "7")},
		CodeConvTime:        {Values: with(valid(), "conv_time", "yesterday")},
		CodeMatchType:       {Values: with(valid(), "match_type", "3")},
		CodeProps:           {Values: with(valid(), "props", "[1,2]")},
		CodeOuterEventID:    {Values: with(valid(), "outer_event_id", strings.Repeat("x", 201))},
		CodeCallbackInvalid: {Values: valid()},
		CodeEncoding:        {Values: with(valid(), "source", "\xd6\xd0"), NotUTF8: []string{"source"}},
	}
	mode := Mode{StrictAttribution: true, Verifier: verifierFunc(func(string) bool { return false })}
	for _, r := range Catalog() {
		if r.Code == CodeDuplicate {
			continue // needs state: see TestDedup*
		}
		in, ok := cases[r.Code]
		if !ok {
			t.Errorf("catalog row %d has no test case", r.Code)
			continue
		}
		m, msg := Mode{}, r.Msg
		switch r.Code {
		case CodeCallbackInvalid:
			m = mode
		case CodeEncoding:
			msg = "params source is invalid"
		}
		v := Validate(in, m)
		if v.Code != r.Code || v.Msg != msg {
			t.Errorf("row %d: got %d %q (%s), want %d %q", r.Code, v.Code, v.Msg, v.Detail, r.Code, r.Msg)
		}
		if (v.Code == CodeSuccess) != (v.Conversion != nil) {
			t.Errorf("row %d: conversion %v", r.Code, v.Conversion)
		}
	}
}

type verifierFunc func(string) bool

func (f verifierFunc) Verify(cb string) bool { return f(cb) }

// TestCheckOrder sends requests that break several rules and expects the
// one that comes first in the check order.
func TestCheckOrder(t *testing.T) {
	broken := map[int][]string{ // code → the kv that breaks its rule
		CodeMissingCallback: {"callback", "<absent>"},
		CodeDeviceInfo:      {"imei", "<absent>", "muid", "m"},
		CodeEventType:       {"event_type", "x"},
		CodeConvTime:        {"conv_time", "-1"},
		CodeMatchType:       {"match_type", "x"},
		CodeProps:           {"props", "nope"},
		CodeOuterEventID:    {"outer_event_id", strings.Repeat("长", 201)},
	}
	for i, a := range checkOrder {
		for _, b := range checkOrder[i+1:] {
			ka, kb := broken[a.Code], broken[b.Code]
			if ka == nil || kb == nil {
				continue
			}
			in := Input{Values: with(with(valid(), kb...), ka...)}
			if got := Validate(in, Mode{}).Code; got != a.Code {
				t.Errorf("breaking %d and %d answered %d, want %d (first in check order)", a.Code, b.Code, got, a.Code)
			}
		}
	}
	// body errors come before everything.
	if got := Validate(Input{Values: map[string]string{}, BodyError: "x"}, Mode{}).Code; got != CodeInvalidBody {
		t.Errorf("body error + no params: %d", got)
	}
	// os value is checked after device presence.
	if got := Validate(Input{Values: map[string]string{"callback": "c", "os": "9"}}, Mode{}).Code; got != CodeDeviceInfo {
		t.Errorf("os=9 without muid: %d, want %d", got, CodeDeviceInfo)
	}
}

func TestEveryEventType(t *testing.T) {
	for _, e := range EventTypes() {
		v := Validate(Input{Values: with(valid(), "event_type", fmt.Sprint(e.Value))}, Mode{Strict: true})
		if v.Code != CodeSuccess || v.Conversion.EventType != e.Value || v.Conversion.EventName != e.Name {
			t.Errorf("event_type %d: %d %s %+v", e.Value, v.Code, v.Detail, v.Conversion)
		}
	}
	for _, bad := range []string{"7", "19", "24", "26", "27", "30", "126", "129", "203", "215", "-1", "+3", "3.0", "1e2", " 3", "abc", "99999999999999999999"} {
		if v := Validate(Input{Values: with(valid(), "event_type", bad)}, Mode{}); v.Code != CodeEventType {
			t.Errorf("event_type %q: got %d, want %d", bad, v.Code, CodeEventType)
		}
	}
}

func TestEventTypesTable(t *testing.T) {
	if len(EventTypes()) != 31 {
		t.Fatalf("%d event types; the Ocean Engine document lists 31", len(EventTypes()))
	}
	seen := map[int]bool{}
	for i, e := range EventTypes() {
		if seen[e.Value] || (i > 0 && e.Value <= EventTypes()[i-1].Value) || e.Name == "" || e.English == "" {
			t.Errorf("row %d %+v: duplicate, out of order or unnamed", i, e)
		}
		if e.Definition == "" || e.DefinitionEnglish == "" {
			t.Errorf("row %d (%d %s): the document's definition or its English gloss is missing", i, e.Value, e.Name)
		}
		seen[e.Value] = true
	}
	// The document's definition column, verbatim.
	if e, _ := LookupEventType(0); e.Definition != "用户下载安装完毕应用之后，在联网环境下打开应用" {
		t.Errorf("event_type 0 definition %q", e.Definition)
	}
	if !strings.Contains(EventTypesMarkdown(), "| 176 | 提交订单 | submit order | 比收藏意图更强，点击后跳转至支付页面 |") {
		t.Error("the Markdown table lacks the definition column")
	}
}

// TestDocumentDeviceExamples runs the Ocean Engine document's legal and
// illegal device-info examples (设备信息, 举例说明).
func TestDocumentDeviceExamples(t *testing.T) {
	cases := []struct {
		query string
		code  int
	}{
		{"callback=xxxxx&imei=xxxxx", CodeSuccess},
		{"callback=xxxxx&idfa=xxxxxx", CodeSuccess},
		{"callback=xxxxx&os=1&muid=xxxxxxx", CodeSuccess},
		{"callback=xxxxx", CodeDeviceInfo},            // 没有任何设备信息
		{"callback=xxxxx&os=1", CodeDeviceInfo},       // 传了 os 没有传入 muid
		{"callback=xxxxx&muid=xxxx", CodeDeviceInfo},  // 传入了 muid，没有传入os
		{"callback=xxxxx&oaid=b305ee2f", CodeSuccess}, // combination 1 includes oaid
		{"callback=xxxxx&caid1=f949f306", CodeDeviceInfo},
		{"callback=xxxxx&oaid_md5=8FCF82C6", CodeDeviceInfo},
		{"callback=xxxxx&os=1&idfa=x", CodeSuccess}, // combination 1 satisfied
	}
	for _, c := range cases {
		for _, strict := range []bool{false, true} {
			in := decodeQuery(t, c.query)
			in.Values["event_type"] = "0"
			if v := Validate(in, Mode{Strict: strict}); v.Code != c.code {
				t.Errorf("%s (strict %v): got %d %q, want %d", c.query, strict, v.Code, v.Detail, c.code)
			}
		}
	}
}

// TestDocumentExampleRequest validates the Ocean Engine document's own
// example request.
func TestDocumentExampleRequest(t *testing.T) {
	in := decodeQuery(t, "callback=EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIAQ==&conv_time=1574835097&event_type=3&os=1&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&muid=FCD369C3-F622-44B8-AFDE-12065659F34B&source=mybestcustom")
	v := Validate(in, Mode{Strict: true})
	want := &Conversion{
		Callback:      "EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIAQ==",
		CallbackParam: "callback",
		IDFA:          "FCD369C3-F622-44B8-AFDE-12065659F34B",
		MUID:          "FCD369C3-F622-44B8-AFDE-12065659F34B",
		OS:            Ptr(1),
		EventType:     3, EventName: "表单",
		ConvTime: Ptr[int64](1574835097),
		Source:   "mybestcustom",
	}
	if diff := cmp.Diff(want, v.Conversion); diff != "" || v.Code != 0 || len(v.Warnings) != 0 {
		t.Fatalf("code %d warnings %v; conversion (-want +got):\n%s", v.Code, v.Warnings, diff)
	}
}

// TestDecidedDeviations: a deviation a decision accepts (the document is
// ambiguous or contradicts itself there) is a warning in default and
// lenient mode and an error in strict mode.
func TestDecidedDeviations(t *testing.T) {
	cases := []struct {
		name string
		kv   []string
		code int // in strict mode
	}{
		{"os word", []string{"os", "iOS", "muid", "m"}, CodeDeviceInfo},
		{"millisecond conv_time", []string{"conv_time", "1574835097000"}, CodeConvTime},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Input{Values: with(valid(), c.kv...)}
			for _, m := range []Mode{{}, {Lenient: true}} {
				if v := Validate(in, m); v.Code != CodeSuccess || len(v.Warnings) != 1 {
					t.Errorf("%+v: %d %s, warnings %q; want 0 with one warning", m, v.Code, v.Detail, v.Warnings)
				}
			}
			strict := Validate(in, Mode{Strict: true, Lenient: true})
			if strict.Code != c.code || !strings.HasPrefix(strict.Detail, "strict mode: ") {
				t.Fatalf("strict mode: %d %s, want %d", strict.Code, strict.Detail, c.code)
			}
		})
	}
}

// TestWrongOSIsDeviceInfoFilledInWrongly: the document answers "params
// muid is empty" for device info missing or filled in wrongly, and os is
// device info.
func TestWrongOSIsDeviceInfoFilledInWrongly(t *testing.T) {
	for _, kv := range [][]string{{"os", "2", "muid", "m", "imei", "<absent>"}, {"os", "9"}, {"os", "android1", "muid", "m"}} {
		for _, m := range []Mode{{}, {Lenient: true}, {Strict: true}} {
			v := Validate(Input{Values: with(valid(), kv...)}, m)
			if v.Code != CodeDeviceInfo || v.Msg != "params muid is empty" || !strings.Contains(v.Detail, "want 0 (android) or 1 (ios)") {
				t.Errorf("%v in %+v: %d %q %s", kv, m, v.Code, v.Msg, v.Detail)
			}
		}
	}
}

func TestOuterEventIDLimitCountsCharacters(t *testing.T) {
	ok := Validate(Input{Values: with(valid(), "outer_event_id", strings.Repeat("长", 200))}, Mode{})
	if ok.Code != CodeSuccess {
		t.Fatalf("200 characters (600 bytes): %d %s", ok.Code, ok.Detail)
	}
	bad := Validate(Input{Values: with(valid(), "outer_event_id", strings.Repeat("长", 201))}, Mode{})
	if bad.Code != CodeOuterEventID || !strings.Contains(bad.Detail, "201 characters") {
		t.Fatalf("201 characters: %d %s", bad.Code, bad.Detail)
	}
}

func TestCallbackAlternatives(t *testing.T) {
	for _, p := range []string{"callback", "callback_param", "callback_url", "link"} {
		in := Input{Values: with(valid(), "callback", "<absent>", p, "cb-"+p)}
		v := Validate(in, Mode{})
		if v.Code != CodeSuccess || v.Conversion.Callback != "cb-"+p || v.Conversion.CallbackParam != p {
			t.Errorf("%s: %d %+v", p, v.Code, v.Conversion)
		}
	}
}

func TestPropsAndExtras(t *testing.T) {
	in := Input{Values: with(valid(), "props", `{ "aaa" : "bbb", "n": [1, 2] }`, "ext", `{"k":"v"}`, "caid", "x")}
	v := Validate(in, Mode{Strict: true})
	if v.Code != CodeSuccess {
		t.Fatalf("%d %s", v.Code, v.Detail)
	}
	if got := string(v.Conversion.Props); got != `{"aaa":"bbb","n":[1,2]}` {
		t.Errorf("props = %s", got)
	}
	if diff := cmp.Diff(map[string]string{"ext": `{"k":"v"}`, "caid": "x"}, v.Conversion.Extra); diff != "" {
		t.Errorf("extra (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"null", `"str"`, "1", "{", "{'a':1}"} {
		if v := Validate(Input{Values: with(valid(), "props", bad)}, Mode{}); v.Code != CodeProps {
			t.Errorf("props %s: %d", bad, v.Code)
		}
	}
}

func TestCatalogTable(t *testing.T) {
	seenOrder := map[int]bool{}
	for _, r := range Catalog() {
		if r.Code != CodeSuccess && (r.Order < 1 || seenOrder[r.Order]) {
			t.Errorf("row %d: order %d missing or repeated", r.Code, r.Order)
		}
		seenOrder[r.Order] = true
		if got := string(answerBody(r.Code, r.Msg)); got != fmt.Sprintf(`{"code":%d,"ret":%d,"msg":"%s"}`, r.Code, r.Code, r.Msg) {
			t.Errorf("answer for %d: %s", r.Code, got)
		}
	}
	if got := string(answerBody(0, "success")); got != `{"code":0,"ret":0,"msg":"success"}` {
		t.Errorf("success answer %s", got)
	}
	// The duplicate filter comes last: only a request that passes every
	// other check uses up its outer_event_id.
	if dup := ruleByCode[CodeDuplicate]; dup.Order <= checkOrder[len(checkOrder)-1].Order {
		t.Errorf("duplicate filter order %d is not last", dup.Order)
	}
}

func TestRuleMatches(t *testing.T) {
	enc, _ := LookupRule(CodeEncoding)
	dev, _ := LookupRule(CodeDeviceInfo)
	for _, c := range []struct {
		r    Rule
		msg  string
		want bool
	}{
		{enc, "params source is invalid", true},
		{enc, "params  is invalid", false},
		{enc, "params <name> is invalid", true},
		{enc, "param source is invalid", false},
		{dev, "params muid is empty", true},
		{dev, "params os is empty", false},
	} {
		if got := c.r.Matches(c.msg); got != c.want {
			t.Errorf("%d Matches(%q) = %v", c.r.Code, c.msg, got)
		}
	}
}
