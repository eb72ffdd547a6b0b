package mockocean

// validJSON reports whether b is one valid JSON value (RFC 8259) with
// only white space around it: what encoding/json.Valid reports, in one
// pass without its scanner's call per byte (a third of a JSON POST's
// decoding went there). Like encoding/json it does not look at UTF-8,
// and it refuses nesting deeper than encoding/json's 10,000 levels.
// FuzzValidJSON keeps the two equal. Its functions check the grammar, as
// the decoders' skipJSONValue and jsonMembers (decode.go), which trust a
// body validJSON took, do not; white space is skipJSONSpace's.
func validJSON(b []byte) bool {
	i, ok := validValueEnd(b, skipJSONSpace(b, 0), 0)
	return ok && skipJSONSpace(b, i) == len(b)
}

// maxJSONDepth is encoding/json's bound on nested objects and arrays.
const maxJSONDepth = 10000

// validValueEnd returns the index past the value starting at b[i], inside
// depth objects and arrays, and whether there is one; when there is
// none, the index means nothing.
func validValueEnd(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		return validObjectEnd(b, i, depth+1)
	case c == '[':
		return validArrayEnd(b, i, depth+1)
	case c == '"':
		return validStringEnd(b, i)
	case c == '-' || '0' <= c && c <= '9':
		return validNumberEnd(b, i)
	case c == 't':
		return validLiteralEnd(b, i, "true")
	case c == 'f':
		return validLiteralEnd(b, i, "false")
	case c == 'n':
		return validLiteralEnd(b, i, "null")
	}
	return i, false
}

// validObjectEnd is validValueEnd for the object opening at b[i], at depth.
func validObjectEnd(b []byte, i, depth int) (int, bool) {
	if depth > maxJSONDepth {
		return i, false
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		var ok bool
		if i, ok = validStringEnd(b, i); !ok {
			return i, false
		}
		if i = skipJSONSpace(b, i); i >= len(b) || b[i] != ':' {
			return i, false
		}
		if i, ok = validValueEnd(b, skipJSONSpace(b, i+1), depth); !ok {
			return i, false
		}
		if i = skipJSONSpace(b, i); i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '}':
			return i + 1, true
		case ',':
			i = skipJSONSpace(b, i+1)
		default:
			return i, false
		}
	}
}

// validArrayEnd is validValueEnd for the array opening at b[i], at depth.
func validArrayEnd(b []byte, i, depth int) (int, bool) {
	if depth > maxJSONDepth {
		return i, false
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = validValueEnd(b, i, depth); !ok {
			return i, false
		}
		if i = skipJSONSpace(b, i); i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ']':
			return i + 1, true
		case ',':
			i = skipJSONSpace(b, i+1)
		default:
			return i, false
		}
	}
}

// validStringEnd is validValueEnd for the string opening at b[i]: no
// byte below 0x20 (0x7F and bytes outside ASCII are taken), and escapes
// among \" \\ \/ \b \f \n \r \t \uXXXX.
func validStringEnd(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i++; i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				// four hex digits at b[i+1:i+5], and a closing quote
				// still to come after them
				if i+4 >= len(b) {
					return i, false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHexDigit(h) {
						return i, false
					}
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validNumberEnd is validValueEnd for the number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumberEnd(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// validLiteralEnd is validValueEnd for the literal word at b[i].
func validLiteralEnd(b []byte, i int, word string) (int, bool) {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}
