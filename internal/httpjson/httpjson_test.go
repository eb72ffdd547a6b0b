package httpjson

import (
	"fmt"
	"net/http/httptest"
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
		`{"stauts":1}`:    `unknown field "stauts"`,
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
	if w.Code != 404 || strings.TrimSpace(w.Body.String()) != `{"error":"no such <thing>"}` || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
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
