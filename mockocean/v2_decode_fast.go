package mockocean

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeV2Fast is decodeV2 for what uploaders send: a valid UTF-8 JSON
// object whose keys have no escapes and are not repeated at any level.
// It scans the body once, cutting keys and values from raw.Body, and
// decodes through encoding/json only what it re-encodes (properties,
// arrays) and strings with escapes. It reports false, for decodeV2 to
// read the body, for any other body; a fuzz test keeps the two equal.
func decodeV2Fast(raw Raw) (v2Input, bool) {
	text := raw.Body
	b := []byte(text)
	if !utf8.Valid(b) || !validJSON(b) {
		return v2Input{}, false
	}
	i := skipJSONSpace(b, 0)
	if b[i] != '{' {
		return v2Input{}, false
	}
	in := v2Input{raw: raw, values: make(map[string]string, 16)}
	if _, ok := in.walkFast(b, text, i, ""); !ok {
		return v2Input{}, false
	}
	slices.Sort(in.unknown)
	slices.Sort(in.notUTF8)
	return in, true
}

// walkFast reads the object opening at b[i], found at prefix, as walk
// does, and returns the index past it; ok is false for what decodeV2Fast
// leaves to decodeV2.
func (in *v2Input) walkFast(b []byte, text string, i int, prefix string) (end int, ok bool) {
	var seen [32]string // the object's keys, to find a repeated one
	keys := seen[:0]
	return jsonMembers(b, text, i, func(k string, v0, v1 int) bool {
		if slices.Contains(keys, k) || strings.IndexByte(k, '.') >= 0 {
			// The last one wins in decodeV2, wholesale for objects; a
			// dotted key can name a nested path: both left to it.
			return false
		}
		keys = append(keys, k)
		return in.setFast(b, text, v0, v1, k, prefix)
	})
}

// setFast reads the member k whose value is b[i:end], as walk's loop
// body does.
func (in *v2Input) setFast(b []byte, text string, i, end int, k, prefix string) bool {
	path, f := v2PathOf(prefix, k)
	if f == nil {
		in.unknown = append(in.unknown, path)
		return true
	}
	tok := text[i:end]
	got := v2KindOf(tok)
	switch {
	case path == "event_type" && got == "integer":
		in.eventNumber = true
	case got == "null":
		return true // as if absent
	case got != f.Kind && !(f.Kind == "number" && got == "integer"):
		if in.kinds == nil {
			in.kinds = map[string]string{}
		}
		in.kinds[path] = fmt.Sprintf("want %s %s, got %s", article(f.Kind), f.Kind, got)
		return true
	}
	switch got {
	case "string":
		if bytes.IndexByte(b[i:end], '\\') < 0 {
			in.values[path] = tok[1 : len(tok)-1]
			return true
		}
		var s string
		if err := json.Unmarshal(b[i:end], &s); err != nil {
			return false
		}
		in.values[path] = s
	case "integer", "number", "boolean":
		in.values[path] = tok
	case "object":
		if path == "properties" {
			if text, props, ok := flatProperties(b, tok, i); ok {
				in.values[path], in.props = text, props
				return true
			}
			var v map[string]any
			if !decodeNumbers(b[i:end], &v) {
				return false
			}
			enc, _ := json.Marshal(v) // keys sorted: one text for one object
			in.values[path], in.props = string(enc), v
			return true
		}
		_, ok := in.walkFast(b, text, i, path)
		return ok
	case "array":
		var v []any
		if !decodeNumbers(b[i:end], &v) {
			return false
		}
		enc, _ := json.Marshal(v)
		in.values[path] = string(enc)
	}
	return true
}

// v2PathOf joins prefix and key, as walk does, and finds the field:
// a known path is the field's own string, not a new one.
func v2PathOf(prefix, k string) (string, *V2Field) {
	if prefix == "" {
		if f := v2FieldByPath[k]; f != nil {
			return f.Path, f
		}
		return k, nil
	}
	var buf [64]byte
	p := append(append(append(buf[:0], prefix...), '.'), k...)
	if f := v2FieldByPath[string(p)]; f != nil {
		return f.Path, f
	}
	return string(p), nil
}

// flatProperties decodes and re-encodes, as decodeNumbers and
// json.Marshal do, a properties object tok (at b[i:]) whose members are
// numbers, booleans, null, or strings that encoding/json writes as they
// are: no escape, nothing it escapes (<, >, &, control characters, U+2028,
// U+2029). ok is false for any other object.
func flatProperties(b []byte, tok string, i int) (text string, props map[string]any, ok bool) {
	type member struct{ k, v string }
	var members [16]member
	list := members[:0]
	// tok is b[i:]'s text: the spans jsonMembers gives are tok's.
	if _, ok := jsonMembers(b[i:], tok, 0, func(k string, v0, v1 int) bool {
		v := tok[v0:v1]
		switch {
		case !plainJSONText(k), len(list) == len(members), v[0] == '{', v[0] == '[',
			v[0] == '"' && !plainJSONText(v[1:len(v)-1]):
			return false
		}
		for _, m := range list {
			if m.k == k {
				return false // repeated: the last one wins in decodeNumbers
			}
		}
		list = append(list, member{k, v})
		return true
	}); !ok {
		return "", nil, false
	}
	slices.SortFunc(list, func(x, y member) int { return strings.Compare(x.k, y.k) }) // as encoding/json sorts map keys
	props = make(map[string]any, len(list))
	size := 2
	for _, m := range list {
		size += len(m.k) + len(m.v) + 4
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for n, m := range list {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.k...)
		out = append(out, '"', ':')
		out = append(out, m.v...)
		switch m.v[0] {
		case '"':
			props[m.k] = m.v[1 : len(m.v)-1]
		case 't':
			props[m.k] = true
		case 'f':
			props[m.k] = false
		case 'n':
			props[m.k] = nil
		default:
			props[m.k] = json.Number(m.v)
		}
	}
	out = append(out, '}')
	return string(out), props, true
}

// plainJSONText reports whether the text of a JSON string (between its
// quotes) reads and is written by encoding/json as it is.
func plainJSONText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\', c == '"', c < 0x20, c == '<', c == '>', c == '&':
			return false
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			return false
		}
	}
	return true
}

// decodeNumbers decodes a JSON value as decodeV2 does, numbers as
// json.Number.
func decodeNumbers(b []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v) == nil
}

// v2KindOf names the JSON kind of a valid JSON value's text, as v2Kind
// names it decoded.
func v2KindOf(tok string) string {
	switch tok[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	if _, err := strconv.ParseInt(tok, 10, 64); err == nil {
		return "integer"
	}
	return "number"
}
