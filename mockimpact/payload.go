package mockimpact

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/postbacksim/postbacksim/fixtures"
)

// Body formats of a postback.
const (
	// FormatJSON sends the data as a JSON object (the default for POST).
	FormatJSON = "json"
	// FormatForm sends it x-www-form-urlencoded (the default for GET,
	// where it becomes the query string).
	FormatForm = "form"
	// FormatNone sends no data beyond what the URL's own macros carry.
	FormatNone = "none"
)

// formats lists the body formats, in the order errors name them.
var formats = [...]string{FormatJSON, FormatForm, FormatNone}

// Formats returns the body formats of a postback: json, form, none.
func Formats() []string { return slices.Clone(formats[:]) }

// methods lists the HTTP methods impact sends.
var methods = [...]string{http.MethodGet, http.MethodPost}

// Methods returns the HTTP methods impact sends postbacks with: GET, POST.
func Methods() []string { return slices.Clone(methods[:]) }

// orList writes list as "a, b or c".
func orList(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// The range of HTTP statuses a step or a matcher may name.
const (
	MinStatus = 100
	MaxStatus = 599
)

// DefaultTemplate returns the template of an event's default payload in
// format: for JSON, every documented field in the impact.com document's
// order, with collections rendered through the document's own join
// templates (our decision: docs/platforms.md#d-impact-default-payload); for form,
// Name={Name} pairs with collections as JSON text.
func DefaultTemplate(spec fixtures.EventSpec, format string) string {
	var b strings.Builder
	fields := spec.Fields()
	switch format {
	case FormatForm:
		for i, f := range fields {
			if i > 0 {
				b.WriteByte('&')
			}
			fmt.Fprintf(&b, "%s={%s}", f.JSONName, f.Name)
		}
	case FormatJSON:
		b.WriteByte('{')
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:", f.JSONName)
			if f.Kind == fixtures.KindCollection {
				b.WriteString("[" + DocumentJoinTemplate(f) + "]")
			} else {
				fmt.Fprintf(&b, "{%s}", f.Name)
			}
		}
		b.WriteByte('}')
	}
	return b.String()
}

// DocumentJoinTemplate returns the join macro the impact.com document uses for
// a collection field (items, properties): one JSON object per element,
// keyed by the element's JSON names, numbers bare and strings quoted, as in
// the document.
func DocumentJoinTemplate(coll fixtures.Field) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{join(%s, i, "\{`, coll.Name)
	for j, e := range coll.Elem {
		if j > 0 {
			b.WriteByte(',')
		}
		if e.Kind == fixtures.KindString {
			fmt.Fprintf(&b, `\"%s\":\"{i.%s}\"`, e.JSONName, e.Name)
		} else {
			fmt.Fprintf(&b, `\"%s\":{i.%s}`, e.JSONName, e.Name)
		}
	}
	b.WriteString(`\}")}`)
	return b.String()
}
