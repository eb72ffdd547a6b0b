package macro

import (
	"unicode/utf8"
)

// mode is how one value is escaped where it lands.
type mode uint8

const (
	modeRaw         mode = iota // headers: as is
	modeURLPath                 // before '?' in a URL
	modeURLQuery                // after '?' in a URL
	modeForm                    // x-www-form-urlencoded body
	modeJSONString              // inside a JSON string
	modeJSONLiteral             // a JSON value of its own
)

// escapings describes each mode, indexed by it: the only description of
// where values land and how they are escaped there.
var escapings = [...]struct{ name, where, how string }{
	modeRaw:         {"raw", "a header value", "as is, line breaks and other control characters turned into spaces"},
	modeURLPath:     {"URL path", "a URL, before `?`", "path-escaped, like url.PathEscape"},
	modeURLQuery:    {"URL query", "a URL, after `?`", "query-escaped, like url.QueryEscape"},
	modeForm:        {"form", "a form body", "form-escaped, like url.QueryEscape"},
	modeJSONString:  {"JSON string", "a JSON body, inside a string", "JSON-escaped, no quotes added"},
	modeJSONLiteral: {"JSON literal", "a JSON body, outside strings", "a JSON value: a string quoted, a number bare, null for a null field"},
}

func (m mode) String() string { return escapings[m].name }

// EscapeExample is the value the examples of Escapings escape.
const EscapeExample = `a b/"c"&d`

// Escaping is one row of the table of where a macro's value lands and
// how it is escaped there.
type Escaping struct {
	// Where is the place in a template.
	Where string `json:"where"`
	// How says how a value is written there.
	How string `json:"how"`
	// Example is EscapeExample as written there, by the escaping code.
	Example string `json:"example"`
}

// Escapings returns the escaping table, one row per place a value can
// land.
func Escapings() []Escaping {
	out := make([]Escaping, len(escapings))
	for m, e := range escapings {
		out[m] = Escaping{Where: e.where, How: e.how, Example: string(appendString(nil, EscapeExample, mode(m)))}
	}
	return out
}

const (
	hexDigits = "0123456789ABCDEF" // percent-encoding
	jsonHex   = "0123456789abcdef" // \u escapes, as encoding/json writes them
)

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// appendQueryEscape escapes s like url.QueryEscape.
func appendQueryEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c):
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return dst
}

// appendPathEscape escapes s like url.PathEscape.
func appendPathEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case unreserved(c), c == '$', c == '&', c == '+', c == ',', c == ':', c == ';', c == '=', c == '@':
			dst = append(dst, c)
		default:
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return dst
}

// appendJSONEscape writes s's characters as they appear inside a JSON
// string (no quotes), like encoding/json without HTML escaping.
func appendJSONEscape(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', jsonHex[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// appendString writes a string value in mode m.
func appendString(dst []byte, s string, m mode) []byte {
	switch m {
	case modeURLPath:
		return appendPathEscape(dst, s)
	case modeURLQuery, modeForm:
		return appendQueryEscape(dst, s)
	case modeJSONString:
		return appendJSONEscape(dst, s)
	case modeJSONLiteral:
		dst = append(dst, '"')
		dst = appendJSONEscape(dst, s)
		return append(dst, '"')
	}
	return appendHeaderValue(dst, s)
}

// appendHeaderValue writes s with line breaks and the other control
// characters a header value cannot hold (all but tab) turned into spaces,
// so a value can neither end a header early nor make the request
// unsendable.
func appendHeaderValue(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// appendPlain writes text that needs no escaping in any mode but URL ones
// (numbers, dates): digits, '-', '.', ':' are all safe there too, so it is
// appended as is, quoted only as a JSON literal when quote is set.
func appendPlain(dst []byte, s []byte, m mode, quote bool) []byte {
	if m == modeJSONLiteral && quote {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	if m == modeURLQuery || m == modeForm || m == modeURLPath {
		for _, c := range s {
			if c == ':' && m != modeURLPath {
				dst = append(dst, '%', '3', 'A')
			} else {
				dst = append(dst, c)
			}
		}
		return dst
	}
	return append(dst, s...)
}
