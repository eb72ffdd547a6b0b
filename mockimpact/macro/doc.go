// Package macro is impact.com's postback macro language: templates for
// URLs, headers and bodies that a brand fills with an event's data points.
//
//	{Name}                          the event's field Name (case-sensitive)
//	{join(items, i, "…{i.sku}…")}   the quoted template once per element of a
//	                                collection, results joined with ","
//	\{  \}                          literal braces
//	\"  \\                          inside a join template: a quote, a backslash
//
// A '{' that is not followed by a letter is plain text, so JSON bodies need
// no escaping: {"aid":"{ActionId}"} is a template with one macro.
//
// Templates are parsed once (Parse), bound to a payload type and an
// escaping context (Compile), and then rendered many times (Render). An
// unknown field, an unknown collection, an unclosed brace or a bad join is
// an Error naming the template, line and column.
//
// Values are escaped by where they land: query-escaped in a URL's query,
// path-escaped before it, JSON-escaped inside a JSON string, written as a
// JSON literal (number, null, quoted string) outside one, form-escaped in
// a form body, and as they are in a header. These are the project's
// decisions where impact.com's document is silent; docs/platforms.md of the
// repository lists them.
package macro
