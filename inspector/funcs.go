package inspector

import (
	"encoding/json"
	"html/template"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
)

var funcs = template.FuncMap{
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("15:04:05.000")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"datetimems": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05.000")
	},
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
	},
	"stampp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
	},
	"dur": func(d time.Duration) string {
		if d >= time.Second {
			return d.Round(time.Millisecond).String()
		}
		return d.Round(time.Microsecond).String()
	},
	"until": func(t *time.Time, now time.Time) string {
		if t == nil {
			return ""
		}
		d := t.Sub(now).Round(time.Second)
		if d < 0 {
			return "overdue"
		}
		return "in " + d.String()
	},
	"json": func(v any) string {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err.Error()
		}
		return string(b)
	},
	"nsLabel": func(t *Tenant) string {
		if t == nil {
			return ""
		}
		return t.Name
	},
}

func init() {
	funcs["listLimit"] = func() int { return listLimit }
	funcs["sub1"] = func(n int) int { return n - 1 }
	funcs["lastAttempt"] = func(as []mockimpact.Attempt) *mockimpact.Attempt {
		if len(as) == 0 {
			return nil
		}
		return &as[len(as)-1]
	}
}
