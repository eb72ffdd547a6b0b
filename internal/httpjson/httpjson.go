// Package httpjson holds the JSON plumbing the admin APIs share: one
// error shape, strict decoding with messages that name the field.
package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/postbacksim/postbacksim/internal/suggest"
)

// Write writes v as indented JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	WriteAs(w, status, "application/json", v)
}

// WriteAs is Write with a media type of JSON's own (application/…+json).
func WriteAs(w http.ResponseWriter, status int, mediaType string, v any) {
	w.Header().Set("Content-Type", mediaType) // JSON is UTF-8: RFC 8259 defines no charset parameter
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Error writes {"error": msg} with status: the shape of every error the
// admin APIs and the sandbox answer.
func Error(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"error": msg})
}

// Unmarshal decodes one JSON value into v, rejecting unknown fields,
// trailing data, a member given twice and a member named in another case
// than its field's.
func Unmarshal(b []byte, v any) error {
	if err := checkMembers(b, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if m := unknownFieldRE.FindStringSubmatch(err.Error()); m != nil {
			if best, ok := suggest.Closest(m[1], memberNames(reflect.TypeOf(v))); ok {
				return fmt.Errorf("unknown field %q (did you mean %q?)", m[1], best)
			}
			return fmt.Errorf("unknown field %q", m[1])
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// Name the member as the body spells it. encoding/json names
			// Go fields (Embedded.wait), and since Go 1.27 none at all
			// when a type's own UnmarshalJSON fails.
			if field := failingField(b, reflect.TypeOf(v)); field != "" {
				named := *te
				named.Field = field
				return &named
			}
		}
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// ReadBody reads r's body up to limit bytes; a larger body is an error
// that says so.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("body over %d bytes", limit)
	}
	return b, err
}

// Describe turns a decoding error into a message naming the field.
func Describe(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		got := fmt.Sprintf("got JSON %s, want %s", te.Value, te.Type)
		if strings.Contains(te.Value, "(want ") { // a type that explains itself
			got = "got JSON " + te.Value
		}
		if te.Field == "" {
			return got
		}
		return fmt.Sprintf("field %s: %s", te.Field, got)
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, io.EOF):
		return "empty body: want a JSON object"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// NotFound answers 404 with a JSON error naming the path.
func NotFound(w http.ResponseWriter, r *http.Request) {
	UploaderError(w, r, http.StatusNotFound, "no such path: "+r.URL.Path)
}

// MethodNotAllowed answers 405 with a JSON error naming method and path.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	UploaderError(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path)
}

// UploaderPath reports whether p is where an uploader's requests go (the
// conversion endpoints live under /track/ and /api/, in a namespace's
// /ns/NAME/ too): its errors must not read as success to a client that
// ignores the HTTP status.
func UploaderPath(p string) bool {
	if rest, ok := strings.CutPrefix(p, "/ns/"); ok {
		_, sub, _ := strings.Cut(rest, "/")
		p = "/" + sub
	}
	return strings.HasPrefix(p, "/track/") || p == "/track" || strings.HasPrefix(p, "/api/") || p == "/api"
}

// UploaderError is Error, and on an uploader's path (UploaderPath) the
// answer carries a non-zero code too, in both Ocean shapes ({"code","ret","msg"} of
// /track/activate/ and {"code","message"} of /api/v2/conversion): the
// HTTP status. A client that decodes the answer without looking at the
// status (one public SDK does) then sees a failure, not code 0.
func UploaderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if !UploaderPath(r.URL.Path) {
		Error(w, status, msg)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8") // as the conversion answers are
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Code    int    `json:"code"`
		Ret     int    `json:"ret"`
		Msg     string `json:"msg"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}{status, status, msg, msg, msg})
}

// Decode reads r's body (at most limit bytes) as one strict JSON value
// into v. On failure it answers 413 or 400 with an error prefixed by what
// ("fault: field status: …") and returns false.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, what string, v any) bool {
	body, err := ReadBody(w, r, limit)
	if err != nil {
		Error(w, http.StatusRequestEntityTooLarge, what+": "+err.Error())
		return false
	}
	if err := Unmarshal(body, v); err != nil {
		Error(w, http.StatusBadRequest, what+": "+Describe(err))
		return false
	}
	return true
}

// failingField returns the dotted path ("a.b") of the member of data that
// does not decode into its field of t, or "" when none is found: each
// member is decoded alone into a fresh value of its field's type.
func failingField(data []byte, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return ""
		}
		for _, name := range slices.Sorted(maps.Keys(obj)) {
			ft, ok := memberType(t, name)
			if !ok || json.Unmarshal(obj[name], reflect.New(ft).Interface()) == nil {
				continue
			}
			if sub := failingField(obj[name], ft); sub != "" {
				return name + "." + sub
			}
			return name
		}
	case reflect.Slice, reflect.Array:
		var elems []json.RawMessage
		if json.Unmarshal(data, &elems) != nil {
			return ""
		}
		for _, e := range elems {
			if json.Unmarshal(e, reflect.New(t.Elem()).Interface()) != nil {
				return failingField(e, t.Elem())
			}
		}
	}
	return ""
}

// unknownFieldRE reads encoding/json's error for a member that no field
// takes.
var unknownFieldRE = regexp.MustCompile(`^json: unknown field "(.*)"$`)

// memberNames lists the JSON member names a value of type t takes, at
// the top level, embedded structs' included.
func memberNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "":
			out = append(out, memberNames(f.Type)...)
		case !f.IsExported():
		case tag != "":
			out = append(out, tag)
		default:
			out = append(out, f.Name)
		}
	}
	return out
}

// memberType is the type of the field of struct t that JSON member name
// decodes into, matched as encoding/json does: the tag's name, else the
// field's, without regard to case; embedded structs' fields count.
func memberType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if mt, ok := memberType(ft, name); ok {
					return mt, true
				}
				continue
			}
		}
		if tag == "" {
			tag = f.Name
		}
		if strings.EqualFold(tag, name) {
			return f.Type, true
		}
	}
	return nil, false
}

// Unavailable answers a request that the state store (Redis) could not
// serve: HTTP 503 with Retry-After and {"error": err}, on every route
// alike (on an uploader's path with a non-zero code too, UploaderError).
// The request did nothing; the client retries once the store answers
// again.
func Unavailable(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Retry-After", "1")
	UploaderError(w, r, http.StatusServiceUnavailable, err.Error())
}

// HTMLHeaders sets the headers of an HTML answer that is neither an
// inspector page nor meant to run anything: text/html, no sniffing, no
// framing, and a policy that allows its inline styles and nothing else
// (no scripts, no outside resources, no forms).
func HTMLHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
}
