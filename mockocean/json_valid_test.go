package mockocean

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsonValidCases are bodies at each edge of the grammar, valid or not.
var jsonValidCases = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `1`, `-`, `01`, `-01`, `1.`, `1.5`, `.5`, `1e`, `1e+`, `1E-7`, `1.5e+30`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `True`, `[true,false,null]`, `[1,]`, `[,1]`, `[1 2]`,
	`{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":}`, `{"a":1 "b":2}`, `{"a":1}{"b":2}`, `{"a":1}x`, `{"a":1} `,
	" \t\r\n{ \"a\" : [ 1 , { \"b\" : \"c\" } ] }\n ", "\v{}", "{}\f",
	`"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u00e9"`, `"\u00E9"`, `"\u00g9"`, `"\u00e"`, `"\u"`, `"\x"`, `"\`, `"abc`,
	"\"a\x01b\"", "\"a\x1fb\"", "\"a\x7fb\"", "\"\xff\xfe\"", "\"tab\there\"",
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	strings.Repeat("[", 20000),
	`{"callback":"cb","idfa":"FCD369C3-F622-44B8-AFDE-12065659F34B","event_type":2,"outer_event_id":"e-1","props":{"pay_amount":600,"tags":["a"]}}`,
}

// TestValidJSONIsEncodingJSONValid: the validator agrees with
// encoding/json.Valid at every edge of the grammar.
func TestValidJSONIsEncodingJSONValid(t *testing.T) {
	valid := 0
	for _, s := range jsonValidCases {
		want := json.Valid([]byte(s))
		if got := validJSON([]byte(s)); got != want {
			t.Errorf("validJSON(%.60q) = %v, encoding/json.Valid says %v", s, got, want)
		}
		if want {
			valid++
		}
	}
	if valid == 0 || valid == len(jsonValidCases) {
		t.Fatalf("%d of %d cases valid: the table must hold both kinds", valid, len(jsonValidCases))
	}
}

// FuzzValidJSON: the validator agrees with encoding/json.Valid on any
// bytes.
func FuzzValidJSON(f *testing.F) {
	for _, s := range jsonValidCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json.Valid says %v", b, got, want)
		}
	})
}
