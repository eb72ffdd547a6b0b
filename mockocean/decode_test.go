package mockocean

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func decodeQuery(t *testing.T, q string) Input {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/track/activate/?"+q, nil)
	in, err := Decode(r, DefaultMaxBodyBytes, false)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestDecodeEncodings(t *testing.T) {
	want := map[string]string{
		"callback": "cb", "imei": "0c2b", "event_type": "2", "conv_time": "1574835097",
		"source": "中文 来源&x=1", "props": `{"aaa":"bbb"}`,
	}
	form := url.Values{}
	for k, v := range want {
		form.Set(k, v)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for k, v := range want {
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()

	cases := []struct {
		name, method, ctype, query, body string
	}{
		{"GET query", "GET", "", form.Encode(), ""},
		{"POST form", "POST", "application/x-www-form-urlencoded", "", form.Encode()},
		{"POST form, charset", "POST", "application/x-www-form-urlencoded; charset=utf-8", "", form.Encode()},
		{"POST JSON, numbers as numbers", "POST", "application/json", "",
			`{"callback":"cb","imei":"0c2b","event_type":2,"conv_time":1574835097,"source":"中文 来源&x=1","props":{"aaa":"bbb"}}`},
		{"POST JSON, numbers as strings, props as string", "POST", "application/json; charset=utf-8", "",
			`{"callback":"cb","imei":"0c2b","event_type":"2","conv_time":"1574835097","source":"\u4e2d\u6587 来源&x=1","props":"{\"aaa\":\"bbb\"}"}`},
		{"POST JSON without Content-Type", "POST", "", "",
			`{"callback":"cb","imei":"0c2b","event_type":2,"conv_time":1574835097,"source":"中文 来源&x=1","props":{"aaa":"bbb"}}`},
		{"POST multipart", "POST", mw.FormDataContentType(), "", mp.String()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := "/track/activate/"
			if c.query != "" {
				target += "?" + c.query
			}
			r := httptest.NewRequest(c.method, target, strings.NewReader(c.body))
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			in, err := Decode(r, DefaultMaxBodyBytes, false)
			if err != nil || in.BodyError != "" {
				t.Fatalf("Decode: %v %s", err, in.BodyError)
			}
			if diff := cmp.Diff(want, in.Values); diff != "" {
				t.Fatalf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeJSONValues(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":null,"b":true,"c":1.5,"d":[1, 2],"e":{"x": "y"},"f":""}`))
	r.Header.Set("Content-Type", "application/json")
	in, _ := Decode(r, DefaultMaxBodyBytes, false)
	want := map[string]string{"b": "true", "c": "1.5", "d": "[1,2]", "e": `{"x":"y"}`, "f": ""}
	if diff := cmp.Diff(want, in.Values); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestDecodeBadBodies(t *testing.T) {
	cases := []struct{ ctype, body string }{
		{"application/json", `{"callback":`},
		{"application/json", `[1,2]`},
		{"application/json", `null`},
		{"application/json", `{"a":1} {"b":2}`},
		{"application/x-www-form-urlencoded", "callback=%zz"},
		{"multipart/form-data", "x"},
		{"multipart/form-data; boundary=zz", "not multipart"},
		{"text/plain; charset", "callback=x"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/track/activate/", strings.NewReader(c.body))
		r.Header.Set("Content-Type", c.ctype)
		in, err := Decode(r, DefaultMaxBodyBytes, false)
		if err != nil || in.BodyError == "" {
			t.Errorf("%s %q: err %v, BodyError %q; want a body error", c.ctype, c.body, err, in.BodyError)
		}
		if v := Validate(in, Mode{}); v.Code != CodeInvalidBody {
			t.Errorf("%s %q: code %d", c.ctype, c.body, v.Code)
		}
	}
	r := httptest.NewRequest("GET", "/track/activate/?callback=%zz", nil)
	if in, _ := Decode(r, DefaultMaxBodyBytes, false); in.BodyError == "" {
		t.Error("malformed query string: no error")
	}
}

func TestDecodePostQueryString(t *testing.T) {
	r := httptest.NewRequest("POST", "/track/activate/?callback=q&event_type=1", strings.NewReader("event_type=2&imei=i"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	in, _ := Decode(r, DefaultMaxBodyBytes, true)
	if diff := cmp.Diff(map[string]string{"callback": "q", "event_type": "2", "imei": "i"}, in.Values); diff != "" {
		t.Fatalf("lenient mode merges, body wins (-want +got):\n%s", diff)
	}
	r = httptest.NewRequest("POST", "/track/activate/?callback=q", strings.NewReader("imei=i"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	in, _ = Decode(r, DefaultMaxBodyBytes, false)
	if _, ok := in.Values["callback"]; ok || !slices.Equal(in.PostQuery, []string{"callback"}) {
		t.Fatalf("default mode reads the body only and names the query's parameters: %v %v", in.Values, in.PostQuery)
	}
}

func TestDecodeRepeatedParam(t *testing.T) {
	in := decodeQuery(t, "event_type=1&event_type=2")
	if in.Values["event_type"] != "1" || len(in.Notes) != 1 {
		t.Fatalf("%v %v", in.Values, in.Notes)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	r := httptest.NewRequest("POST", "/track/activate/", strings.NewReader(strings.Repeat("a", 101)))
	if _, err := Decode(r, 100, false); err == nil {
		t.Fatal("101-byte body under a 100-byte limit: no error")
	}
}

// FuzzJSONFastPath: whenever the fast JSON path takes a body, it decodes
// it exactly as encoding/json's tokenizer does.
func FuzzJSONFastPath(f *testing.F) {
	for _, s := range []string{
		`{"callback":"abc","event_type":2,"imei":"0c2bd03c39f19845bf54ea0abafae70e"}`,
		` { "a" : "x" , "b":null, "c": [1, {"d": "e f"}], "e": {"f":[]}, "g": true, "h": -1.5e3 } `,
		`{"event_type":999,"event_type":2,"event_type":3,"x":"1"}`,
		`{"s":"quote \" and \\ and \u00e9 and \n"}`,
		`{"k\u00e9y":"v"}`,
		`{}`, `[]`, `null`, `{"a":1}{"b":2}`, `{"a":"b",}`, "{\"a\":\"\xff\"}", `{"ext":{"outer_event_id":"e-1"}}`,
		`{"props":{"amount":"99.00","tags":["a","b"]}}`, `{"a":"x"` + "\t" + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast := Input{Values: map[string]string{}}
		if !fast.decodeJSONFast(body, string(body)) {
			return
		}
		slow := Input{Values: map[string]string{}}
		if err := slow.decodeJSONTokens(body); err != nil {
			t.Fatalf("fast path took %q, which the tokenizer refuses: %v", body, err)
		}
		if diff := cmp.Diff(slow, fast, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%q (-tokenizer +fast):\n%s", body, diff)
		}
	})
}

// TestJSONFastPathTakesWhatUploadersSend: the common bodies do not fall
// back to the tokenizer, and the unusual ones do.
func TestJSONFastPathTakesWhatUploadersSend(t *testing.T) {
	for body, want := range map[string]bool{
		`{"callback":"cb1","idfa":"FCD369C3-F622-44B8-AFDE-000000000001","event_type":2,"outer_event_id":"e1","props":{"amount":"9.90"}}`: true,
		"{\n  \"callback\": \"cb1\",\n  \"event_type\": \"2\"\n}":                                                                         true,
		`{"s":"a\"b"}`:     true, // an escape in a value: that value alone is unescaped
		`{"k\"":"v"}`:      false,
		`{"a":1,}`:         false,
		"{\"a\":\"\xff\"}": false,
		`[1]`:              false,
	} {
		in := Input{Values: map[string]string{}}
		if got := in.decodeJSONFast([]byte(body), body); got != want {
			t.Errorf("%q: fast path %v, want %v", body, got, want)
		}
	}
}
