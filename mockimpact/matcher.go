package mockimpact

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Matcher recognises a response: by HTTP status (Status ≠ 0) or by text.
// An error response's text matches a body that contains it (Match); a
// success response's text must be the whole body, trimmed of white space
// (MatchWhole): the document's success response is the text string the
// server returns (返回的特定文本字符串), an error response a text that
// indicates failure (表示失败的文本字符串). The zero Matcher matches
// nothing.
type Matcher struct {
	Status int
	Text   string
}

// ParseMatcher reads a configured success or error response: three digits
// 100–599 are a status code, "text:…" is always text (to match a body of
// "200"), "status:…" always a status, anything else text. A status class
// ("2xx") is refused, saying why: impact matches one status or a text.
func ParseMatcher(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Matcher{}, nil
	case strings.HasPrefix(s, "text:"):
		t := strings.TrimSpace(strings.TrimPrefix(s, "text:"))
		if t == "" {
			return Matcher{}, fmt.Errorf("%q: empty text", s)
		}
		return Matcher{Text: t}, nil
	case strings.HasPrefix(s, "status:"):
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(s, "status:")))
		if err != nil || n < MinStatus || n > MaxStatus {
			return Matcher{}, fmt.Errorf("%q: want an HTTP status %d–%d", s, MinStatus, MaxStatus)
		}
		return Matcher{Status: n}, nil
	}
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' && strings.EqualFold(s[1:], "xx") {
		return Matcher{}, fmt.Errorf("%q: a status class is not a response impact.com matches (one status, or a text): leave it empty for any 2xx, give one status such as %c00, or write text:%s for a body that is %q", s, s[0], s, s)
	}
	if n, err := strconv.Atoi(s); err == nil && len(s) == 3 {
		if n < MinStatus || n > MaxStatus {
			return Matcher{}, fmt.Errorf("%q: want an HTTP status %d–%d (or text:%s for body text)", s, MinStatus, MaxStatus, s)
		}
		return Matcher{Status: n}, nil
	}
	return Matcher{Text: s}, nil
}

// IsZero reports whether m matches nothing.
func (m Matcher) IsZero() bool { return m.Status == 0 && m.Text == "" }

// Match reports whether a response with status and body matches: the
// status, or a body that contains the text (an error response).
func (m Matcher) Match(status int, body []byte) bool {
	switch {
	case m.Status != 0:
		return status == m.Status
	case m.Text != "":
		return strings.Contains(string(body), m.Text)
	}
	return false
}

// MatchWhole reports whether a response with status and body matches:
// the status, or a body that is the text, trimmed of white space (a
// success response).
func (m Matcher) MatchWhole(status int, body []byte) bool {
	switch {
	case m.Status != 0:
		return status == m.Status
	case m.Text != "":
		return strings.TrimSpace(string(body)) == m.Text
	}
	return false
}

// String writes m the way ParseMatcher reads it.
func (m Matcher) String() string {
	switch {
	case m.Status != 0:
		return strconv.Itoa(m.Status)
	case m.Text == "":
		return ""
	case len(m.Text) == 3 && strings.Trim(m.Text, "0123456789") == "":
		return "text:" + m.Text
	}
	return m.Text
}

// MarshalText writes m as ParseMatcher reads it.
func (m Matcher) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses m with ParseMatcher.
func (m *Matcher) UnmarshalText(b []byte) error {
	v, err := ParseMatcher(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// UnmarshalJSON reads a string, or a bare number as a status.
func (m *Matcher) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		var n int
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a status code or a text, got %s", b)
		}
		b = []byte(strconv.Itoa(n))
		return m.UnmarshalText(b)
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	return m.UnmarshalText([]byte(s))
}
