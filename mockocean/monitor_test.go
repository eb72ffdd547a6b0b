package mockocean

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
)

func TestMonitorMacrosExpand(t *testing.T) {
	var all []string
	for _, m := range MonitorMacros() {
		all = append(all, strings.ToLower(strings.Trim(m.Name, "_"))+"="+m.Name)
	}
	if len(all) != 23 {
		t.Fatalf("%d macros; docs/platforms.md (Monitoring-link macros) lists 23", len(all))
	}
	tpl, err := ParseMonitorURL("https://adv.example/monitor?" + strings.Join(all, "&"))
	if err != nil {
		t.Fatal(err)
	}
	g := fixtures.NewOceanGen(4)
	now := time.Date(2026, 4, 8, 9, 0, 0, 0, time.UTC)
	for _, c := range []fixtures.OceanClick{g.Click(now, false), g.Click(now, false), g.Click(now, true)} {
		raw := tpl.Expand(c, "cb+/=", "https://sandbox.example/track/activate/?callback=cb%2B")
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		checks := map[string]string{
			"callback_param": "cb+/=", "callback_url": "https://sandbox.example/track/activate/?callback=cb%2B",
			"os": map[int]string{0: "0", 1: "1"}[c.Device.OS], "ua": c.Device.UA, "model": c.Device.Model,
			"request_id": c.RequestID, "geo": c.Geo, "ip": c.Device.IP, "idfa": c.Device.IDFA, "imei": c.Device.IMEIMD5,
		}
		for k, want := range checks {
			if got := q.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if len(q.Get("mac")) != 32 || len(q.Get("mac1")) != 32 || q.Get("mac") == q.Get("mac1") {
			t.Errorf("mac %q mac1 %q", q.Get("mac"), q.Get("mac1"))
		}
	}
}

func TestMonitorURLErrors(t *testing.T) {
	for raw, want := range map[string]string{
		"https://adv.example/m?x=__IDFA__&y=__FOO__&z=__BAR_BAZ__": "unknown macro __FOO__, __BAR_BAZ__",
		"adv.example/m?x=__IDFA__":                                 `scheme "": want http or https`,
		"https:///m":                                               "no host",
		"http://a b/":                                              "invalid character",
	} {
		if _, err := ParseMonitorURL(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}
