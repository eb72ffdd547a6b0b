package macro

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/fixtures"
)

var (
	lifecycleType = reflect.TypeFor[*fixtures.ActionLifecycle]()
	trackingType  = reflect.TypeFor[*fixtures.TrackingValueRequest]()
	publisherType = reflect.TypeFor[*fixtures.PublisherApplication]()
)

func sampleAction() *fixtures.ActionLifecycle {
	return &fixtures.ActionLifecycle{
		ActionId: "ACT-1", CampaignId: 9876, Amount: 10050, DeltaPayout: -500, Currency: "USD",
		Note: `say "hi" & <bye>` + "\n中文", EventDate: fixtures.TS(time.Date(2026, 4, 8, 9, 0, 0, 0, time.UTC)),
		Items: []fixtures.Item{
			{Sku: "S-1", Amt: 2500, Cat: `Shoes "A"`, Qty: 2, CartAmt: 5000, Rbt: "0.00", Name: "Trail & Run"},
			{Sku: "S 2", Amt: 5050, Cat: "Bags", Qty: 1, CartAmt: 5050, Rbt: "5.00", Name: "中文"},
		},
	}
}

// TestDocumentJoinTemplates: the impact.com document's own join templates
// render valid JSON arrays whose elements carry the item's values.
func TestDocumentJoinTemplates(t *testing.T) {
	a := sampleAction()
	for name, src := range map[string]string{"multi-line": seedItemsMultiLine, "one-line": seedItemsOneLine} {
		tpl, err := Compile(name, src, JSON, lifecycleType)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := tpl.Render(a)
		var got []fixtures.Item
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: not a JSON array: %v\n%s", name, err, out)
		}
		if diff := cmp.Diff(a.Items, got); diff != "" {
			t.Fatalf("%s items (-want +got):\n%s", name, diff)
		}
	}
	p := fixtures.NewImpactGen(1, time.Time{}).PublisherApplication(fixtures.StatusPending)
	tpl := MustCompile("properties", seedProperties, JSON, publisherType)
	out, _ := tpl.Render(p)
	var props []fixtures.Property
	if err := json.Unmarshal([]byte(out), &props); err != nil || !cmp.Equal(p.Properties, props) {
		t.Fatalf("properties: %v\n%s", err, out)
	}
	// With no elements, the join renders nothing: [] is still valid JSON.
	empty, _ := MustCompile("x", seedItemsOneLine, JSON, trackingType).Render(&fixtures.TrackingValueRequest{})
	if empty != "[]" {
		t.Fatalf("empty collection: %s", empty)
	}
}

func TestEscapingByContext(t *testing.T) {
	a := sampleAction()
	cases := []struct {
		ctx       Context
		src, want string
	}{
		{URL, "https://b.example/pb/{ActionId}/{Note}?aid={ActionId}&note={Note}&d={EventDate}&amt={Amount}",
			"https://b.example/pb/ACT-1/say%20%22hi%22%20&%20%3Cbye%3E%0A%E4%B8%AD%E6%96%87?aid=ACT-1&note=say+%22hi%22+%26+%3Cbye%3E%0A%E4%B8%AD%E6%96%87&d=2026-04-08T09%3A00%3A00Z&amt=100.50"},
		{JSON, `{"note":"{Note}","n":{Note},"amt":{Amount},"d":{DeltaPayout},"at":{EventDate},"at2":"{EventDate}","caller":{CallerId},"c2":"{CallerId}","cid":{CampaignId}}`,
			`{"note":"say \"hi\" & <bye>\n中文","n":"say \"hi\" & <bye>\n中文","amt":100.50,"d":-5.00,"at":"2026-04-08T09:00:00Z","at2":"2026-04-08T09:00:00Z","caller":null,"c2":"","cid":9876}`},
		{Form, "aid={ActionId}&note={Note}&cur={Currency}",
			"aid=ACT-1&note=say+%22hi%22+%26+%3Cbye%3E%0A%E4%B8%AD%E6%96%87&cur=USD"},
		{Header, "Bearer {ActionId} {Note}", "Bearer ACT-1 say \"hi\" & <bye> 中文"},
		{JSON, `{"skus":"{join(items, i, "{i.sku}:{i.name}")}"}`, `{"skus":"S-1:Trail & Run,S 2:中文"}`},
		{URL, `https://x/?skus={join(items, i, "{i.sku}")}`, `https://x/?skus=S-1,S+2`},
		{JSON, `{"all":{items}}`, `{"all":[{"sku":"S-1","item_price":25.00,"category":"Shoes \"A\"","quantity":2,"cartamt":50.00,"rbt":"0.00","name":"Trail \u0026 Run"},{"sku":"S 2","item_price":50.50,"category":"Bags","quantity":1,"cartamt":50.50,"rbt":"5.00","name":"中文"}]}`},
		{Header, `literal \{ActionId\} and \n`, `literal {ActionId} and \n`},
	}
	for _, c := range cases {
		tpl, err := Compile("t", c.src, c.ctx, lifecycleType)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got, _ := tpl.Render(a)
		if got != c.want {
			t.Errorf("%v %s\n got %s\nwant %s", c.ctx, c.src, got, c.want)
		}
		if c.ctx == JSON && !json.Valid([]byte(got)) {
			t.Errorf("%s: invalid JSON %s", c.src, got)
		}
	}
	// Query values decode back to the original.
	tpl := MustCompile("u", "https://b.example/pb?note={Note}", URL, lifecycleType)
	out, _ := tpl.Render(a)
	u, err := url.Parse(out)
	if err != nil || u.Query().Get("note") != a.Note {
		t.Fatalf("round trip: %v %q", err, u.Query().Get("note"))
	}
}

func TestErrorsNameLineAndColumn(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{ActionID}", `t:1:1: unknown field "ActionID" (did you mean "ActionId"?)`},
		{"a\n  {Amount", `t:2:10: expected '}' to close the macro {Amount opened at 2:3, found the end of the template`},
		{"{Amount x}", `t:1:8: expected '}' to close the macro {Amount opened at 1:1, found ' '`},
		{`{join(itemz, i, "{i.sku}")}`, `t:1:1: unknown collection "itemz" (did you mean "items"?)`},
		{`{join(items, i, "{i.skus}")}`, `t:1:18: unknown element field "skus" (did you mean "sku"?)`},
		{`{join(items, i, "{j.sku}")}`, `t:1:18: unknown variable "j": this join's variable is "i"`},
		{`{i.sku}`, `t:1:1: {i.sku} is only valid inside a join template over the variable "i"`},
		{`{join(items, i, "{i.sku}")`, `t:1:27: expected '}' to close the {join(…) macro, found the end of the template`},
		{`{join(items i, "x")}`, `t:1:13: expected ',' after join's collection, found 'i'`},
		{`{join(items, i, x)}`, `t:1:17: expected '"' to open join's template, found 'x'`},
		{`{join(items, i, "{i.sku}`, `t:1:25: unterminated join template: expected '"' before the end`},
		{`{join(, i, "x")}`, `t:1:7: expected a collection name as join's first argument, found ','`},
		{`{join(items, i, "{join(items, j, \"x\")}")}`, `t:1:18: join cannot be nested inside a join template`},
		{`{join(Amount, i, "x")}`, `t:1:1: unknown collection "Amount" (want one of items)`},
		{`{i.}`, `t:1:4: expected a field name after "i.", found '}'`},
		{`{"a":"{ActionId}}`, `t:1:6: JSON string opened here is never closed`},
		{`[{join(items, i, "\"{i.sku}")}]`, `t:1:2: join template leaves a JSON string open: each element must close the quotes it opens`},
	}
	for _, c := range cases {
		_, err := Compile("t", c.src, JSON, lifecycleType)
		var me *Error
		if !errors.As(err, &me) || err.Error() != c.want {
			t.Errorf("%s\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}

func TestPlainBracesAreText(t *testing.T) {
	// JSON braces, empty braces and lone closers need no escaping.
	src := `{"a":{"b":[{}]}, "c":"{ActionId}"} }`
	tpl := MustCompile("t", src, Header, lifecycleType)
	got, _ := tpl.Render(sampleAction())
	if got != `{"a":{"b":[{}]}, "c":"ACT-1"} }` {
		t.Fatalf("got %s", got)
	}
	if diff := cmp.Diff([]string{"ActionId"}, tpl.Refs()); diff != "" {
		t.Fatal(diff)
	}
}

func TestRenderWrongPayload(t *testing.T) {
	tpl := MustCompile("t", "{ActionId}", URL, lifecycleType)
	if _, err := tpl.Render(&fixtures.JobCompleted{}); err == nil || !strings.Contains(err.Error(), "ActionLifecycle") {
		t.Fatalf("wrong payload: %v", err)
	}
	if _, err := tpl.Render(fixtures.ActionLifecycle{}); err == nil {
		t.Fatal("non-pointer payload accepted")
	}
}

func TestJSONEscapeMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", "q\"b\\s", "ctl\x01\x1f\t\r\n", "bad\xffutf8", "sep\u2028\u2029", "中文 <&>"} {
		want, _ := json.Marshal(s)
		want = []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(want)))
		got := appendString(nil, s, modeJSONLiteral)
		if !utf8.ValidString(s) {
			// Invalid bytes become U+FFFD; Go releases differ on
			// whether encoding/json writes it escaped (ours) or as is.
			var g, w string
			if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || g != w || !strings.Contains(string(got), `\ufffd`) {
				t.Errorf("%q: got %s want %s (as JSON, escaped)", s, got, want)
			}
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%q: got %s want %s", s, got, want)
		}
	}
	for _, s := range []string{"a b&c=d/é?#", "~-._", "100%"} {
		if got := string(appendQueryEscape(nil, s)); got != url.QueryEscape(s) {
			t.Errorf("query %q: %s vs %s", s, got, url.QueryEscape(s))
		}
		if got := string(appendPathEscape(nil, s)); got != url.PathEscape(s) {
			t.Errorf("path %q: %s vs %s", s, got, url.PathEscape(s))
		}
	}
}

// TestHeaderValuesStaySendable: a value with control characters (a
// supplied payload can carry any) never makes a header the transport
// refuses, which would fail every attempt as a network error.
func TestHeaderValuesStaySendable(t *testing.T) {
	a := sampleAction()
	a.Note = "a\x00b\x7fc\td\r\ne"
	got, err := MustCompile("h", "{Note}", Header, lifecycleType).Render(a)
	if err != nil || got != "a b c\td  e" {
		t.Fatalf("%q, %v", got, err)
	}
}
