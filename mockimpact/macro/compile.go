package macro

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/suggest"
)

// Context is what a template produces, which decides how values are
// escaped.
type Context uint8

// Contexts.
const (
	// Header is a header value: values as they are.
	Header Context = iota
	// URL is a URL: path-escaped before '?', query-escaped after.
	URL
	// JSON is a JSON body: escaped inside strings, literals outside.
	JSON
	// Form is an x-www-form-urlencoded body: form-escaped.
	Form
)

func (c Context) String() string { return [...]string{"header", "URL", "JSON", "form"}[c] }

// Template is a compiled template bound to one payload type.
type Template struct {
	name    string
	src     string
	payload reflect.Type
	ops     []op
	refs    []string
	// sizeHint is the length of the last rendering, to size the next.
	sizeHint atomic.Int64
}

type opKind uint8

const (
	opText opKind = iota
	opField
	opElem
	opJoin
)

type op struct {
	kind  opKind
	text  string
	field fixtures.Field
	mode  mode
	body  []op // opJoin
}

// Compile parses src and binds it to payload, a struct type (or pointer
// to one) such as *fixtures.ActionLifecycle, in context ctx. Every field
// reference is checked here; Render cannot fail on a compiled template
// but for a payload of the wrong type.
func Compile(name, src string, ctx Context, payload reflect.Type) (*Template, error) {
	if payload.Kind() == reflect.Pointer {
		payload = payload.Elem()
	}
	nodes, err := Parse(name, src)
	if err != nil {
		return nil, err
	}
	c := &compiler{name: name, ctx: ctx, fields: fixtures.FieldsOf(payload)}
	ops, err := c.compile(nodes, nil, "")
	if err != nil {
		return nil, err
	}
	if ctx == JSON && c.inString {
		return nil, &Error{Template: name, Pos: c.stringAt, Msg: "JSON string opened here is never closed"}
	}
	return &Template{name: name, src: src, payload: payload, ops: ops, refs: c.refs}, nil
}

// MustCompile is Compile for templates known to be valid; it panics on an
// error.
func MustCompile(name, src string, ctx Context, payload reflect.Type) *Template {
	t, err := Compile(name, src, ctx, payload)
	if err != nil {
		panic(err)
	}
	return t
}

// Source returns the template's source text.
func (t *Template) Source() string { return t.src }

// Refs lists the top-level fields the template uses, in order of first use.
func (t *Template) Refs() []string { return t.refs }

type compiler struct {
	name     string
	ctx      Context
	fields   []fixtures.Field
	query    bool // URL: a '?' has been seen
	inString bool // JSON: inside a string
	escaped  bool // JSON: the previous byte was a backslash in a string
	stringAt Pos
	refs     []string
}

func (c *compiler) errorf(at Pos, format string, args ...any) error {
	return &Error{Template: c.name, Pos: at, Msg: fmt.Sprintf(format, args...)}
}

// scan follows literal text to know the context of what comes next.
func (c *compiler) scan(t *Text) {
	switch c.ctx {
	case URL:
		if !c.query && strings.IndexByte(t.Text, '?') >= 0 {
			c.query = true
		}
	case JSON:
		line, col := t.At.Line, t.At.Col
		for _, r := range t.Text {
			switch {
			case c.escaped:
				c.escaped = false
			case c.inString && r == '\\':
				c.escaped = true
			case r == '"':
				c.inString = !c.inString
				if c.inString {
					c.stringAt = Pos{line, col}
				}
			}
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
	}
}

func (c *compiler) mode() mode {
	switch c.ctx {
	case URL:
		if c.query {
			return modeURLQuery
		}
		return modeURLPath
	case JSON:
		if c.inString {
			return modeJSONString
		}
		return modeJSONLiteral
	case Form:
		return modeForm
	}
	return modeRaw
}

func (c *compiler) compile(nodes []Node, elem []fixtures.Field, joinVar string) ([]op, error) {
	var ops []op
	for _, n := range nodes {
		switch n := n.(type) {
		case *Text:
			c.scan(n)
			ops = append(ops, op{kind: opText, text: n.Text})
		case *Ref:
			o, err := c.ref(n, elem, joinVar)
			if err != nil {
				return nil, err
			}
			ops = append(ops, o)
		case *Join:
			if c.ctx == JSON && c.escaped {
				return nil, c.errorf(n.At, "join after a backslash inside a JSON string")
			}
			coll, ok := lookup(c.fields, n.Coll)
			if !ok || coll.Kind != fixtures.KindCollection {
				return nil, c.errorf(n.At, "unknown collection %q%s", n.Coll, suggestName(n.Coll, collections(c.fields)))
			}
			before := c.inString
			body, err := c.compile(n.Body, coll.Elem, n.Var)
			if err != nil {
				return nil, err
			}
			if c.ctx == JSON && c.inString != before {
				return nil, c.errorf(n.At, "join template leaves a JSON string open: each element must close the quotes it opens")
			}
			c.note(n.Coll)
			ops = append(ops, op{kind: opJoin, field: coll, body: body})
		}
	}
	return ops, nil
}

func (c *compiler) note(name string) {
	for _, r := range c.refs {
		if r == name {
			return
		}
	}
	c.refs = append(c.refs, name)
}

func (c *compiler) ref(n *Ref, elem []fixtures.Field, joinVar string) (op, error) {
	if n.Var != "" {
		switch {
		case joinVar == "":
			return op{}, c.errorf(n.At, "{%s.%s} is only valid inside a join template over the variable %q", n.Var, n.Name, n.Var)
		case n.Var != joinVar:
			return op{}, c.errorf(n.At, "unknown variable %q: this join's variable is %q", n.Var, joinVar)
		}
		f, ok := lookup(elem, n.Name)
		if !ok {
			return op{}, c.errorf(n.At, "unknown element field %q%s", n.Name, suggestName(n.Name, names(elem)))
		}
		return op{kind: opElem, field: f, mode: c.mode()}, nil
	}
	f, ok := lookup(c.fields, n.Name)
	if !ok {
		return op{}, c.errorf(n.At, "unknown field %q%s", n.Name, suggestName(n.Name, names(c.fields)))
	}
	c.note(f.Name)
	return op{kind: opField, field: f, mode: c.mode()}, nil
}

func lookup(fields []fixtures.Field, name string) (fixtures.Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return fixtures.Field{}, false
}

func names(fields []fixtures.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}

func collections(fields []fixtures.Field) []string {
	var out []string
	for _, f := range fields {
		if f.Kind == fixtures.KindCollection {
			out = append(out, f.Name)
		}
	}
	return out
}

// suggestName names the closest candidate, or lists a short set.
func suggestName(name string, candidates []string) string {
	if len(candidates) == 0 {
		return " (this event has none)"
	}
	if best, ok := suggest.Closest(name, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(candidates) <= 10 {
		sorted := append([]string(nil), candidates...)
		sort.Strings(sorted)
		return " (want one of " + strings.Join(sorted, ", ") + ")"
	}
	return ""
}

// Render renders the template for payload, which must be a pointer to
// the type the template was compiled for.
func (t *Template) Render(payload any) (string, error) {
	b, err := t.Append(make([]byte, 0, t.sizeHint.Load()+64), payload)
	t.sizeHint.Store(int64(len(b)))
	return string(b), err
}

// Append renders the template for payload onto dst.
func (t *Template) Append(dst []byte, payload any) ([]byte, error) {
	v := reflect.ValueOf(payload)
	if v.Kind() != reflect.Pointer || v.Elem().Type() != t.payload || v.IsNil() {
		return dst, fmt.Errorf("macro: template %s renders *%s, not %T", t.name, t.payload.Name(), payload)
	}
	return appendOps(dst, t.ops, v.Elem(), reflect.Value{}), nil
}

func appendOps(dst []byte, ops []op, top, elem reflect.Value) []byte {
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opText:
			dst = append(dst, o.text...)
		case opField:
			dst = appendValue(dst, top.Field(o.field.Index), o.field, o.mode)
		case opElem:
			dst = appendValue(dst, elem.Field(o.field.Index), o.field, o.mode)
		case opJoin:
			coll := top.Field(o.field.Index)
			for j := range coll.Len() {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendOps(dst, o.body, top, coll.Index(j))
			}
		}
	}
	return dst
}

func appendValue(dst []byte, v reflect.Value, f fixtures.Field, m mode) []byte {
	if f.Nullable && v.IsNil() {
		if m == modeJSONLiteral {
			return append(dst, "null"...)
		}
		return dst
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	var buf [32]byte
	switch f.Kind {
	case fixtures.KindString:
		return appendString(dst, v.String(), m)
	case fixtures.KindInteger:
		return appendPlain(dst, strconv.AppendInt(buf[:0], v.Int(), 10), m, false)
	case fixtures.KindMoney:
		return appendPlain(dst, appendMoney(buf[:0], v.Int()), m, false)
	case fixtures.KindBool:
		return appendPlain(dst, strconv.AppendBool(buf[:0], v.Bool()), m, false)
	case fixtures.KindTimestamp:
		ts := v.Addr().Interface().(*fixtures.Timestamp)
		return appendPlain(dst, ts.UTC().AppendFormat(buf[:0], fixtures.TimestampLayout), m, true)
	case fixtures.KindCollection:
		b, _ := json.Marshal(v.Interface()) // plain structs of strings and numbers: cannot fail
		if m == modeJSONLiteral {
			return append(dst, b...)
		}
		return appendString(dst, string(b), m)
	}
	return dst
}

// appendMoney writes cents with 2 decimals, like fixtures.Money.String.
func appendMoney(dst []byte, cents int64) []byte {
	if cents < 0 {
		dst = append(dst, '-')
		cents = -cents
	}
	dst = strconv.AppendInt(dst, cents/100, 10)
	return append(dst, '.', byte('0'+cents%100/10), byte('0'+cents%10))
}
