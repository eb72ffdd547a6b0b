package scenarios

import (
	"encoding"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/suggest"
)

// position is where a value (or a key) stands.
type position struct{ line, col int }

// walker checks a YAML document against the Go types it will decode into,
// before decoding: unknown keys (with the nearest valid one), values of
// the wrong kind, and values of text-decoded types (durations, response
// matchers) that do not parse, each at its line and column. It indexes
// every path's position for the semantic checks that follow.
type walker struct {
	file  string
	lines []string // the source, for mapping template positions
	errs  Errors
	pos   map[string]position
	nodes map[string]ast.Node // scalar nodes by path
	// fields marks the paths that are struct fields (not map entries).
	fields map[string]bool
}

func (w *walker) errorf(tk *token.Token, path, format string, a ...any) {
	e := &Error{File: w.file, Path: path, Msg: fmt.Sprintf(format, a...)}
	if tk != nil {
		e.Line, e.Col = tk.Position.Line, tk.Position.Column
	}
	w.errs = append(w.errs, e)
}

var (
	durationType    = reflect.TypeFor[clock.Duration]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[interface{ UnmarshalYAML([]byte) error }]()
)

// nodePos is where an error about node belongs: a mapping's first key
// (goccy's own token for a block mapping is its first ':'), else the
// node's token.
func nodePos(n ast.Node) position {
	if ps, ok := pairs(n); ok && len(ps) > 0 {
		tk := ps[0].Key.GetToken()
		return position{tk.Position.Line, tk.Position.Column}
	}
	tk := n.GetToken()
	return position{tk.Position.Line, tk.Position.Column}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// pairs returns a mapping's key/value pairs, or ok=false for a non-mapping.
func pairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n := n.(type) {
	case *ast.MappingNode:
		return n.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}, true
	}
	return nil, false
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

// taggedWith is the tag on n (under anchors), or "".
func taggedWith(n ast.Node) string {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			return v.Start.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return ""
		}
	}
}

// emptyTag returns the tag of a tagged empty value (possibly anchored),
// or nil.
func emptyTag(n ast.Node) *ast.TagNode {
	var tag *ast.TagNode
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			tag, n = v, v.Value
		case *ast.AnchorNode:
			n = v.Value
		case nil, *ast.NullNode:
			return tag
		default:
			return nil
		}
	}
}

func kindName(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode:
		return "nothing (null)"
	case *ast.IntegerNode:
		return "an integer"
	case *ast.FloatNode:
		return "a number"
	case *ast.BoolNode:
		return "true/false"
	}
	return fmt.Sprintf("%q", scalarText(n))
}

// yamlSource is a scalar as written, quotes kept (a quoted "15" is text,
// a bare 15 a number), without its tag or comment.
func yamlSource(n ast.Node) string {
	if s, ok := n.(*ast.StringNode); ok {
		switch s.GetToken().Type {
		case token.DoubleQuoteType, token.SingleQuoteType:
			return `"` + s.Value + `"`
		}
		return s.Value
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return n.String()
}

func scalarText(n ast.Node) string {
	if s, ok := n.(ast.ScalarNode); ok {
		return fmt.Sprint(s.GetValue())
	}
	return n.String()
}

func isScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return false
	}
	return true
}

func (w *walker) walk(n ast.Node, t reflect.Type, path string) {
	if tag := emptyTag(n); tag != nil {
		// goccy/go-yaml v1.19.2 dereferences nil decoding a list from a
		// tag on nothing (steps: !foo), so no tag on nothing is accepted.
		w.errorf(tag.GetToken(), path, "tag %s on an empty value: give a value or remove the tag", tag.Start.Value)
		return
	}
	tag := taggedWith(n)
	n = unwrap(n)
	w.pos[path] = nodePos(n)
	if isScalar(n) {
		w.nodes[path] = n
	}
	if _, null := n.(*ast.NullNode); null {
		// null is a value in received.json (a body's member that must be
		// null); elsewhere an empty key is a slip.
		if path != "" && !(t.Kind() == reflect.Interface && strings.Contains(path, ".json.")) {
			w.errorf(n.GetToken(), path, "empty value: give a value or leave the key out")
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if pt := reflect.PointerTo(t); pt.Implements(yamlUnmarshaler) || pt.Implements(textUnmarshaler) {
		if !isScalar(n) {
			w.errorf(n.GetToken(), path, "want a single value, got %s", kindName(n))
			return
		}
		if tag != "" { // the decoder would hand the tag to the parser
			w.errorf(n.GetToken(), path, "tag %s: a duration or a response matcher takes no tag (remove it)", tag)
			return
		}
		var err error
		if u, ok := reflect.New(t).Interface().(interface{ UnmarshalYAML([]byte) error }); ok {
			err = u.UnmarshalYAML([]byte(yamlSource(n)))
		} else {
			err = reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(scalarText(n)))
		}
		if err != nil {
			w.errorf(n.GetToken(), path, "%v", err)
		} else if t == durationType && strings.Contains(scalarText(n), "-") {
			w.errorf(n.GetToken(), path, "%s: durations count forward; write it without a minus sign", scalarText(n))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		w.walkStruct(n, t, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			w.errorf(n.GetToken(), path, "want a list, got %s", kindName(n))
			return
		}
		for i, v := range seq.Values {
			w.walk(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		ps, ok := pairs(n)
		if !ok {
			w.errorf(n.GetToken(), path, "want a mapping, got %s", kindName(n))
			return
		}
		for _, p := range ps {
			key := scalarText(p.Key)
			w.pos[join(path, key)+"#key"] = position{p.Key.GetToken().Position.Line, p.Key.GetToken().Position.Column}
			w.walk(p.Value, t.Elem(), join(path, key))
		}
	case reflect.Interface:
		if strings.Contains(path, ".request.params.") && !isScalar(n) {
			// A v2 request's params are a JSON document: they nest
			// (validate checks that only a v2 request has nested ones).
			if ps, ok := pairs(n); ok {
				for _, p := range ps {
					key := scalarText(p.Key)
					w.pos[join(path, key)+"#key"] = position{p.Key.GetToken().Position.Line, p.Key.GetToken().Position.Column}
					w.walk(p.Value, t, join(path, key))
				}
				return
			}
			if seq, ok := n.(*ast.SequenceNode); ok {
				for i, v := range seq.Values {
					w.walk(v, t, fmt.Sprintf("%s[%d]", path, i))
				}
				return
			}
		}
		if !isScalar(n) {
			w.errorf(n.GetToken(), path, "want a single value (string, number or true/false), got %s", kindName(n))
		}
	case reflect.String:
		if !isScalar(n) {
			w.errorf(n.GetToken(), path, "want text, got %s", kindName(n))
		}
	case reflect.Int, reflect.Int64, reflect.Uint64:
		if _, ok := n.(*ast.IntegerNode); !ok {
			w.errorf(n.GetToken(), path, "want an integer, got %s", kindName(n))
		}
	case reflect.Float64:
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			w.errorf(n.GetToken(), path, "want a number, got %s", kindName(n))
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			w.errorf(n.GetToken(), path, "want true or false, got %s", kindName(n))
		}
	}
}

// yamlFields maps a struct's YAML keys to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Anonymous && name == "" && strings.Contains(opts, "inline") {
			maps.Copy(out, yamlFields(f.Type)) // an inlined struct's keys are its parent's
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

func (w *walker) walkStruct(n ast.Node, t reflect.Type, path string) {
	ps, ok := pairs(n)
	if !ok {
		w.errorf(n.GetToken(), path, "want a mapping of keys, got %s", kindName(n))
		return
	}
	fields := yamlFields(t)
	for _, p := range ps {
		key := scalarText(p.Key)
		w.pos[join(path, key)+"#key"] = position{p.Key.GetToken().Position.Line, p.Key.GetToken().Position.Column}
		f, ok := fields[key]
		if !ok {
			hint := elsewhere(key)
			if hint == "" {
				hint = suggestKey(key, fields)
			}
			w.errorf(p.Key.GetToken(), join(path, key), "unknown key %q%s", key, hint)
			continue
		}
		if w.fields == nil {
			w.fields = map[string]bool{}
		}
		w.fields[join(path, key)] = true
		w.walk(p.Value, f.Type, join(path, key))
	}
}

// suggestKey names the closest valid key, or lists them when none is close.
func suggestKey(key string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	if best, ok := suggest.Closest(key, names); ok {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (valid keys: " + strings.Join(names, ", ") + ")"
}

// keyHomes maps each key of the scenario model to the places it belongs
// ("impact.expect", "impact.deliveries[].expect"), derived from the
// types, for the message of a key written at the wrong level.
var keyHomes = func() map[string][]string {
	homes := map[string][]string{}
	var visit func(t reflect.Type, path string, depth int)
	visit = func(t reflect.Type, path string, depth int) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			if t.Kind() != reflect.Pointer {
				path += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || depth > 6 || reflect.PointerTo(t).Implements(yamlUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
			return
		}
		for name, f := range yamlFields(t) {
			home := path
			if home == "" {
				home = "the top level"
			}
			if !slices.Contains(homes[name], home) {
				homes[name] = append(homes[name], home)
			}
			visit(f.Type, join(path, name), depth+1)
		}
	}
	visit(reflect.TypeFor[Scenario](), "", 0)
	for _, v := range homes {
		sort.Strings(v)
	}
	return homes
}()

// elsewhere says where key belongs when it is a key of the model at
// another level than where it was written: " (it belongs under impact.expect: move it
// there)"; "" when it is no key of the model.
func elsewhere(key string) string {
	homes := keyHomes[key]
	if len(homes) == 0 {
		return ""
	}
	return fmt.Sprintf(" (it belongs under %s: move it there)", strings.Join(homes, " or "))
}
