package httpjson

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestDescribeNamesTheField(t *testing.T) {
	var v struct {
		Status int    `json:"status"`
		Name   string `json:"name"`
	}
	for body, want := range map[string]string{
		`{"status":"x"}`:  "field status: got JSON string, want int",
		`{"stauts":1}`:    `unknown field "stauts" (did you mean "status"?)`,
		`{"zzz":1}`:       `unknown field "zzz"`,
		`{"status":1} {}`: "data after the JSON value",
		`{"status":`:      "unexpected EOF",
		``:                "empty body",
		`{"status":1,}`:   "invalid JSON at byte",
	} {
		err := Unmarshal([]byte(body), &v)
		if err == nil || !strings.Contains(Describe(err), want) {
			t.Errorf("%s: %v → %q, want %q", body, err, Describe(err), want)
		}
	}
}

func TestError(t *testing.T) {
	w := httptest.NewRecorder()
	Error(w, 404, "no such <thing>")
	if w.Code != 404 || strings.TrimSpace(w.Body.String()) != `{"error":"no such <thing>"}` || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q %v", w.Code, w.Body, w.Header())
	}
}

func TestDecode(t *testing.T) {
	var v struct{ N int }
	for body, want := range map[string]string{
		`{"N":1}`:               "",
		`{"N":"x"}`:             `400 {"error":"thing: field N: got JSON string, want int"}`,
		strings.Repeat("x", 20): `413 {"error":"thing: body over 16 bytes"}`,
	} {
		w := httptest.NewRecorder()
		ok := Decode(w, httptest.NewRequest("POST", "/", strings.NewReader(body)), 16, "thing", &v)
		got := ""
		if !ok {
			got = fmt.Sprintf("%d %s", w.Code, strings.TrimSpace(w.Body.String()))
		}
		if got != want || (ok && v.N != 1) {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}

// picky fails to decode from anything but a JSON number, with an error of
// its own, as clock.Duration does.
type picky int

func (p *picky) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] == '"' {
		return &json.UnmarshalTypeError{Value: string(b) + " (want a number)", Type: reflect.TypeFor[picky]()}
	}
	return nil
}

// TestDescribeNamesAFieldWithItsOwnDecoder: a type whose UnmarshalJSON
// fails is named by its path, nested and inside lists and embedded
// structs, whatever the Go release's encoding/json says.
func TestDescribeNamesAFieldWithItsOwnDecoder(t *testing.T) {
	type Inner struct {
		Delay picky `json:"delay"`
	}
	type Embedded struct {
		Wait picky `json:"wait"`
	}
	var v struct {
		Embedded
		Status int     `json:"status"`
		Delay  picky   `json:"delay"`
		Step   Inner   `json:"step"`
		Steps  []Inner `json:"steps"`
		Plain  picky
	}
	for body, want := range map[string]string{
		`{"status":1,"delay":"1x"}`:             `field delay: got JSON "1x" (want a number)`,
		`{"step":{"delay":"1x"}}`:               `field step.delay: got JSON "1x"`,
		`{"steps":[{"delay":1},{"delay":"x"}]}`: `field steps.delay: got JSON "x"`,
		`{"wait":"soon"}`:                       `field wait: got JSON "soon"`,
		`{"Plain":"p"}`:                         `field Plain: got JSON "p"`,
	} {
		err := Unmarshal([]byte(body), &v)
		if err == nil || !strings.Contains(Describe(err), want) {
			t.Errorf("%s: %v → %q, want %q", body, err, Describe(err), want)
		}
	}
}

// TestUploaderPathsAnswerANonZeroCode: a 404 or 405 on a path an uploader
// sends to carries a non-zero code in both Ocean answer shapes, so a
// client that ignores the HTTP status reads a failure; other paths keep
// the plain error.
func TestUploaderPathsAnswerANonZeroCode(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
		uploader     bool
	}{
		{"POST", "/api/v2/conversionx", 404, true},
		{"GET", "/track/activatex/", 404, true},
		{"PUT", "/track/activate/", 405, true},
		{"POST", "/ns/team-a/api/v2/conversionx", 404, true},
		{"GET", "/_admin/nothing", 404, false},
		{"GET", "/ns/team-a/_admin/nothing", 404, false},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(c.method, c.path, nil)
		if c.status == 404 {
			NotFound(w, r)
		} else {
			MethodNotAllowed(w, r)
		}
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != c.status {
			t.Fatalf("%s %s: %d %s", c.method, c.path, w.Code, w.Body)
		}
		code, hasCode := out["code"].(float64)
		if c.uploader && (!hasCode || int(code) != c.status || out["ret"] != code || out["message"] != out["error"] || out["msg"] != out["error"]) {
			t.Errorf("%s %s: %v; want code and ret %d, msg and message the error", c.method, c.path, out, c.status)
		}
		if !c.uploader && hasCode {
			t.Errorf("%s %s: %v; want the plain error", c.method, c.path, out)
		}
	}
}

// TestUnmarshalRefusesDuplicateAndMiscasedMembers: {"token":"a","Token":"b"}
// would set b through encoding/json; here a member named twice, or named
// in another case than its field, is an error naming it, at any depth;
// a map's keys are free, and a type that decodes itself is left alone.
func TestUnmarshalRefusesDuplicateAndMiscasedMembers(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	type body struct {
		Token   string            `json:"token"`
		Inner   inner             `json:"inner"`
		List    []inner           `json:"list"`
		Headers map[string]string `json:"headers"`
		Raw     json.RawMessage   `json:"raw"`
	}
	for in, want := range map[string]string{
		`{"token":"a","Token":"b"}`:          `unknown field "Token" (did you mean "token"? names are case-sensitive)`,
		`{"token":"a","token":"b"}`:          `member "token" is given twice`,
		`{"inner":{"name":"a","name":"b"}}`:  `member "inner.name" is given twice`,
		`{"list":[{"NAME":"a"}]}`:            `unknown field "list.NAME" (did you mean "name"? names are case-sensitive)`,
		`{"headers":{"X-A":"1","x-a":"2"}}`:  "",
		`{"raw":{"a":1,"a":2},"token":"t"}`:  "",
		`{"token":"a","inner":{"name":"b"}}`: "",
		`{"headers":{"X-A":"1","X-A":"2"}}`:  `member "headers.X-A" is given twice`,
	} {
		var b body
		err := Unmarshal([]byte(in), &b)
		if got := fmt.Sprint(err); want == "" && err != nil || want != "" && got != want {
			t.Errorf("%s: %v; want %q", in, err, want)
		}
	}
}
