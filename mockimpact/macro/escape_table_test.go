package macro

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestEscapingsMatchTheStandardLibrary: the table's examples, written by
// the escaping code, are what the standard library writes.
func TestEscapingsMatchTheStandardLibrary(t *testing.T) {
	var lit bytes.Buffer
	enc := json.NewEncoder(&lit)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(EscapeExample); err != nil {
		t.Fatal(err)
	}
	literal := strings.TrimSuffix(lit.String(), "\n")
	want := map[mode]string{
		modeRaw:         EscapeExample,
		modeURLPath:     url.PathEscape(EscapeExample),
		modeURLQuery:    url.QueryEscape(EscapeExample),
		modeForm:        url.QueryEscape(EscapeExample),
		modeJSONString:  literal[1 : len(literal)-1],
		modeJSONLiteral: literal,
	}
	rows := Escapings()
	if len(rows) != len(want) {
		t.Fatalf("%d rows for %d modes", len(rows), len(want))
	}
	for m, w := range want {
		if rows[m].Example != w || rows[m].Where == "" || rows[m].How == "" || m.String() == "" {
			t.Errorf("%s: %+v, want example %q", m, rows[m], w)
		}
	}
}
