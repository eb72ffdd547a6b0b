package clock

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("15s",
// "1h30m") in JSON and YAML. It also reads a bare number, in seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes d like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as a duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration string such as "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON reads a duration string, or a number of seconds. Its
// errors are *json.UnmarshalTypeError, so encoding/json names the field.
func (d *Duration) UnmarshalJSON(b []byte) error {
	typeErr := &json.UnmarshalTypeError{Value: string(b) + ` (want a duration such as "15s", "3m", "2h", or seconds)`, Type: reflect.TypeFor[Duration]()}
	if len(b) > 0 && b[0] != '"' {
		var secs float64
		if err := json.Unmarshal(b, &secs); err != nil {
			return typeErr
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return typeErr
	}
	if err := d.UnmarshalText([]byte(s)); err != nil {
		return typeErr
	}
	return nil
}

// UnmarshalYAML reads a duration string, or a bare number of seconds.
func (d *Duration) UnmarshalYAML(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"'`)
	if secs, err := strconv.ParseFloat(s, 64); err == nil && len(b) > 0 && b[0] != '"' && b[0] != '\'' {
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	return d.UnmarshalText([]byte(s))
}

// ParseDuration parses a Go duration string; it also accepts "d" for days
// ("1d12h"), which retry schedules read more easily in.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		var n int
		if _, err := fmt.Sscanf(s[:i], "%d", &n); err == nil && fmt.Sprint(n) == s[:i] {
			days, s = time.Duration(n)*24*time.Hour, s[i+1:]
			if s == "" {
				return Duration(days), nil
			}
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a number with a unit, such as 15s, 3m or 2h", s)
	}
	return Duration(days + v), nil
}
