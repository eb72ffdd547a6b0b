package mockocean

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// jsonValidCases are bodies at each edge of the grammar, valid or not,
// short enough to seed the fuzzer.
var jsonValidCases = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `1`, `-`, `[-]`, `01`, `-01`, `1.`, `1.5`, `.5`, `+1`, `1e`, `[1e]`, `1e+`, `1E-7`, `1.5e+30`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `True`, `[true,false,null]`, `[1,]`, `[,1]`, `[1 2]`,
	`{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":}`, `{"a":1 "b":2}`, `{"a":1}{"b":2}`, `{"a":1}x`, `{"a":1} `,
	" \t\r\n{ \"a\" : [ 1 , { \"b\" : \"c\" } ] }\n ", "\v{}", "{}\f", "\x00{}", "{}\x00", "\xa0{}", "{\"a\":\x001}",
	`"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u00e9"`, `"\u00E9"`, `"\u00g9"`, `"\u00e"`, `"\u"`, `"\u0041`, `"\x"`, `"\`, `"abc`,
	"\"a\x00b\"", "\"a\x01b\"", "\"a\x1fb\"", "\"a\x7fb\"", "\"\xff\xfe\"", "\"tab\there\"",
	`{"callback":"cb","idfa":"FCD369C3-F622-44B8-AFDE-12065659F34B","event_type":2,"outer_event_id":"e-1","props":{"pay_amount":600,"tags":["a"]}}`,
}

// jsonDepthCases are nested at encoding/json's bound and one past it:
// for the table only, as they would slow the fuzzer's mutations down.
var jsonDepthCases = []string{
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	strings.Repeat(`{"a":[`, 5000) + "1" + strings.Repeat("]}", 5000),
	strings.Repeat(`{"a":[`, 5000) + "[1]" + strings.Repeat("]}", 5000),
	`{"b":0,"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"b":0,"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	strings.Repeat("[", 20000),
}

// TestValidJSONIsEncodingJSONValid: the validator agrees with
// encoding/json.Valid at every edge of the grammar.
func TestValidJSONIsEncodingJSONValid(t *testing.T) {
	valid := 0
	cases := append(slices.Clone(jsonValidCases), jsonDepthCases...)
	for _, s := range cases {
		want := json.Valid([]byte(s))
		if got := validJSON([]byte(s)); got != want {
			t.Errorf("validJSON(%.60q) = %v, encoding/json.Valid says %v", s, got, want)
		}
		if want {
			valid++
		}
	}
	if valid == 0 || valid == len(cases) {
		t.Fatalf("%d of %d cases valid: the table must hold both kinds", valid, len(cases))
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
