package macro

import "fmt"

// Pos is a position in a template's source, counting from 1.
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Node is one piece of a parsed template.
type Node interface{ pos() Pos }

// Text is literal text, escapes already resolved.
type Text struct {
	At   Pos
	Text string
}

// Ref is a field reference: {Name}, or {Var.Name} inside a join.
type Ref struct {
	At   Pos
	Var  string // empty for a top-level field
	Name string
}

// Join is {join(Coll, Var, "Body")}.
type Join struct {
	At   Pos
	Coll string
	Var  string
	Body []Node
}

func (n *Text) pos() Pos { return n.At }
func (n *Ref) pos() Pos  { return n.At }
func (n *Join) pos() Pos { return n.At }

// Error is a template error at a position.
type Error struct {
	// Template names the template ("url", "body", "header X-Token").
	Template string
	Pos      Pos
	Msg      string
}

func (e *Error) Error() string {
	if e.Template == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s:%s: %s", e.Template, e.Pos, e.Msg)
}
