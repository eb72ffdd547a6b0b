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
	if !utf8.Valid(b) || !json.Valid(b) {
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
	i = skipJSONSpace(b, i+1)
	for b[i] != '}' {
		j := i + 1 // b[i] is the key's opening quote
		for b[j] != '"' {
			if b[j] == '\\' {
				return 0, false
			}
			j++
		}
		k := text[i+1 : j]
		if slices.Contains(keys, k) {
			return 0, false // the last one wins in decodeV2, wholesale for objects
		}
		keys = append(keys, k)
		i = skipJSONSpace(b, skipJSONSpace(b, j+1)+1) // past the colon
		vend := skipJSONValue(b, i)
		if !in.setFast(b, text, i, vend, k, prefix) {
			return 0, false
		}
		i = skipJSONSpace(b, vend)
		if b[i] == ',' {
			i = skipJSONSpace(b, i+1)
		}
	}
	return i + 1, true
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
	base := i
	j := skipJSONSpace(b, i+1)
	for b[j] != '}' {
		kend := skipJSONString(b, j)
		k := tok[j-base : kend-base]
		if !plainJSONString(k) || len(list) == len(members) {
			return "", nil, false
		}
		v0 := skipJSONSpace(b, skipJSONSpace(b, kend)+1) // past the colon
		v1 := skipJSONValue(b, v0)
		v := tok[v0-base : v1-base]
		switch v[0] {
		case '{', '[':
			return "", nil, false
		case '"':
			if !plainJSONString(v) {
				return "", nil, false
			}
		}
		for _, m := range list {
			if m.k == k {
				return "", nil, false // repeated: the last one wins in decodeNumbers
			}
		}
		list = append(list, member{k, v})
		j = skipJSONSpace(b, v1)
		if b[j] == ',' {
			j = skipJSONSpace(b, j+1)
		}
	}
	// Sorted as encoding/json sorts map keys: by the key, unquoted.
	slices.SortFunc(list, func(x, y member) int { return strings.Compare(x.k[1:len(x.k)-1], y.k[1:len(y.k)-1]) })
	props = make(map[string]any, len(list))
	size := 2
	for _, m := range list {
		size += len(m.k) + len(m.v) + 2
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for n, m := range list {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(append(append(out, m.k...), ':'), m.v...)
		key := m.k[1 : len(m.k)-1]
		switch m.v[0] {
		case '"':
			props[key] = m.v[1 : len(m.v)-1]
		case 't':
			props[key] = true
		case 'f':
			props[key] = false
		case 'n':
			props[key] = nil
		default:
			props[key] = json.Number(m.v)
		}
	}
	out = append(out, '}')
	return string(out), props, true
}

// plainJSONString reports whether a JSON string token reads and is
// written by encoding/json as it is.
func plainJSONString(s string) bool {
	for i := 1; i < len(s)-1; i++ {
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
