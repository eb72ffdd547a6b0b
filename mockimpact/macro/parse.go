package macro

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Parse parses src into nodes. name labels errors.
func Parse(name, src string) ([]Node, error) {
	p := &parser{name: name, src: src, line: 1, col: 1}
	nodes, err := p.nodes(false)
	if err != nil {
		return nil, err
	}
	return nodes, nil
}

type parser struct {
	name      string
	src       string
	off       int
	line, col int
}

func (p *parser) here() Pos { return Pos{p.line, p.col} }

func (p *parser) errorf(at Pos, format string, args ...any) error {
	return &Error{Template: p.name, Pos: at, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.off >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.off]
}

// next consumes one rune and returns it.
func (p *parser) next() rune {
	r, n := utf8.DecodeRuneInString(p.src[p.off:])
	p.off += n
	if r == '\n' {
		p.line, p.col = p.line+1, 1
	} else {
		p.col++
	}
	return r
}

func isIdentStart(b byte) bool { return b == '_' || (b|0x20) >= 'a' && (b|0x20) <= 'z' }
func isIdentByte(b byte) bool  { return isIdentStart(b) || b >= '0' && b <= '9' }

// nodes reads text and macros up to the end of the source, or (inJoin) up
// to the unescaped '"' that closes a join template.
func (p *parser) nodes(inJoin bool) ([]Node, error) {
	var out []Node
	var text strings.Builder
	textAt := p.here()
	flush := func() {
		if text.Len() > 0 {
			out = append(out, &Text{At: textAt, Text: text.String()})
			text.Reset()
		}
		textAt = p.here()
	}
	for !p.eof() {
		c := p.peek()
		switch {
		case c == '\\' && p.off+1 < len(p.src):
			esc := p.src[p.off+1]
			switch {
			case esc == '{' || esc == '}':
			case inJoin && (esc == '"' || esc == '\\'):
			default:
				text.WriteRune(p.next()) // a backslash with no meaning here stays
				continue
			}
			p.next()
			text.WriteRune(p.next())
		case inJoin && c == '"':
			flush()
			return out, nil
		case c == '{' && p.off+1 < len(p.src) && isIdentStart(p.src[p.off+1]):
			flush()
			n, err := p.macro(inJoin)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
			textAt = p.here()
		default:
			text.WriteRune(p.next())
		}
	}
	if inJoin {
		return nil, p.errorf(p.here(), `unterminated join template: expected '"' before the end`)
	}
	flush()
	return out, nil
}

func (p *parser) ident() string {
	start := p.off
	for !p.eof() && isIdentByte(p.peek()) {
		p.next()
	}
	return p.src[start:p.off]
}

func (p *parser) spaces() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.peek()) >= 0 {
		p.next()
	}
}

func (p *parser) expect(c byte, what string) error {
	p.spaces()
	if p.peek() != c {
		return p.errorf(p.here(), "expected %q %s, found %s", c, what, p.found())
	}
	p.next()
	return nil
}

func (p *parser) found() string {
	if p.eof() {
		return "the end of the template"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.off:])
	return fmt.Sprintf("%q", r)
}

// macro parses {Name}, {Var.Name} or {join(…)} starting at '{'.
func (p *parser) macro(inJoin bool) (Node, error) {
	at := p.here()
	p.next() // {
	name := p.ident()
	if name == "join" && p.peek() == '(' {
		if inJoin {
			return nil, p.errorf(at, "join cannot be nested inside a join template")
		}
		return p.join(at)
	}
	ref := &Ref{At: at, Name: name}
	if p.peek() == '.' {
		p.next()
		if p.eof() || !isIdentStart(p.peek()) {
			return nil, p.errorf(p.here(), "expected a field name after %q, found %s", name+".", p.found())
		}
		ref.Var, ref.Name = name, p.ident()
	}
	if p.peek() != '}' {
		return nil, p.errorf(p.here(), "expected '}' to close the macro {%s opened at %s, found %s", refText(ref), at, p.found())
	}
	p.next()
	return ref, nil
}

func refText(r *Ref) string {
	if r.Var != "" {
		return r.Var + "." + r.Name
	}
	return r.Name
}

// join parses (coll, var, "template")} after {join.
func (p *parser) join(at Pos) (Node, error) {
	p.next() // (
	j := &Join{At: at}
	p.spaces()
	if j.Coll = p.ident(); j.Coll == "" {
		return nil, p.errorf(p.here(), "expected a collection name as join's first argument, found %s", p.found())
	}
	if err := p.expect(',', "after join's collection"); err != nil {
		return nil, err
	}
	p.spaces()
	if j.Var = p.ident(); j.Var == "" {
		return nil, p.errorf(p.here(), "expected a variable name as join's second argument, found %s", p.found())
	}
	if err := p.expect(',', "after join's variable"); err != nil {
		return nil, err
	}
	if err := p.expect('"', "to open join's template"); err != nil {
		return nil, err
	}
	body, err := p.nodes(true)
	if err != nil {
		return nil, err
	}
	p.next() // closing "
	j.Body = body
	if err := p.expect(')', "to close join("); err != nil {
		return nil, err
	}
	if err := p.expect('}', "to close the {join(…) macro"); err != nil {
		return nil, err
	}
	return j, nil
}
