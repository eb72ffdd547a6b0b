package mockocean

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/postbacksim/postbacksim/fixtures"
)

// MonitorMacro is one macro of a monitoring URL: the platform replaces it
// with a value of the click.
type MonitorMacro struct {
	// Name is the macro as written in the URL, e.g. __IDFA__.
	Name string `json:"name"`
	// Meaning says what the value is. Neither the list of macros nor
	// their values come from a source document: the conversion-callback
	// document only refers to the monitoring API (转化归因-监测API), which
	// is not one of ours. Both are our decision
	// (docs/platforms.md#d-ocean-monitor-macros).
	Meaning string `json:"meaning"`
	value   func(c clickValues) string
}

// clickValues is what a macro can draw on.
type clickValues struct {
	click       fixtures.OceanClick
	callback    string
	callbackURL string
}

func md5Hex(s string) string {
	if s == "" {
		return ""
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// monitorMacros is the macro table of monitoring URLs (our decision:
// docs/platforms.md#d-ocean-monitor-macros), the
// only list of them in the project. Values are URL-escaped when expanded;
// a macro with no value for the device (IDFA on Android) expands empty.
var monitorMacros = []MonitorMacro{
	{"__CALLBACK_PARAM__", "the callback to send back as callback on /track/activate/", func(v clickValues) string { return v.callback }},
	{"__CALLBACK_URL__", "the full /track/activate/?callback=… URL on the emulator", func(v clickValues) string { return v.callbackURL }},
	{"__IDFA__", "iOS IDFA, raw (iOS only)", func(v clickValues) string { return v.click.Device.IDFA }},
	{"__IMEI__", "md5 of the IMEI, lower-case hex (Android only)", func(v clickValues) string { return v.click.Device.IMEIMD5 }},
	{"__OAID__", "Android OAID, raw", func(v clickValues) string { return v.click.Device.OAID }},
	{"__OAID_MD5__", "md5 of the OAID", func(v clickValues) string { return v.click.Device.OAIDMD5 }},
	{"__ANDROIDID__", "md5 of the Android ID", func(v clickValues) string { return md5Hex(v.click.Device.AndroidID) }},
	{"__CAID__", "China Advertising Association id (iOS only)", func(v clickValues) string { return v.click.Device.CAID }},
	{"__OS__", "0 Android, 1 iOS", func(v clickValues) string { return strconv.Itoa(v.click.Device.OS) }},
	{"__MAC__", "md5 of the upper-case MAC without colons", func(v clickValues) string {
		return md5Hex(strings.ReplaceAll(v.click.Device.MAC, ":", ""))
	}},
	{"__MAC1__", "md5 of the upper-case MAC with colons", func(v clickValues) string { return md5Hex(v.click.Device.MAC) }},
	{"__IP__", "the device's IP address", func(v clickValues) string { return v.click.Device.IP }},
	{"__UA__", "the device's User-Agent", func(v clickValues) string { return v.click.Device.UA }},
	{"__TS__", "click time, unix milliseconds", func(v clickValues) string { return strconv.FormatInt(v.click.Time.UnixMilli(), 10) }},
	{"__AID__", "ad id", func(v clickValues) string { return strconv.FormatUint(v.click.AdID, 10) }},
	{"__CID__", "creative id", func(v clickValues) string { return strconv.FormatUint(v.click.CreativeID, 10) }},
	{"__CAMPAIGN_ID__", "campaign (ad group) id", func(v clickValues) string { return strconv.FormatUint(v.click.CampaignID, 10) }},
	{"__ADVERTISER_ID__", "advertiser account id", func(v clickValues) string { return strconv.FormatUint(v.click.AdvertiserID, 10) }},
	{"__REQUEST_ID__", "ad request id", func(v clickValues) string { return v.click.RequestID }},
	{"__CSITE__", "placement site", func(v clickValues) string { return strconv.Itoa(v.click.CSite) }},
	{"__CTYPE__", "creative type", func(v clickValues) string { return strconv.Itoa(v.click.CType) }},
	{"__MODEL__", "device model", func(v clickValues) string { return v.click.Device.Model }},
	{"__GEO__", "latitude,longitude", func(v clickValues) string { return v.click.Geo }},
}

// MonitorMacros returns a copy of the macro table of monitoring URLs
// (docs/platforms.md, Monitoring-link macros).
func MonitorMacros() []MonitorMacro { return slices.Clone(monitorMacros) }

var monitorMacroByName = func() map[string]*MonitorMacro {
	m := map[string]*MonitorMacro{}
	for i := range monitorMacros {
		m[monitorMacros[i].Name] = &monitorMacros[i]
	}
	return m
}()

var macroRE = regexp.MustCompile(`__[A-Z0-9_]+?__`)

// MonitorTemplate is a monitoring URL with macros, checked once.
type MonitorTemplate struct {
	raw   string
	parts []string // literal, macro, literal, macro, …, literal
}

// ParseMonitorURL checks a monitoring URL: it must be an http(s) URL with
// a host, and every __MACRO__ in it must be known.
func ParseMonitorURL(raw string) (*MonitorTemplate, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("monitoring URL %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("monitoring URL %q: scheme %q: want http or https", raw, u.Scheme)
	case u.Host == "":
		return nil, fmt.Errorf("monitoring URL %q: no host", raw)
	}
	t := &MonitorTemplate{raw: raw}
	var unknown []string
	last := 0
	for _, loc := range macroRE.FindAllStringIndex(raw, -1) {
		name := raw[loc[0]:loc[1]]
		if monitorMacroByName[name] == nil {
			unknown = append(unknown, name)
		}
		t.parts = append(t.parts, raw[last:loc[0]], name)
		last = loc[1]
	}
	t.parts = append(t.parts, raw[last:])
	if len(unknown) > 0 {
		names := make([]string, 0, len(monitorMacros))
		for _, m := range monitorMacros {
			names = append(names, m.Name)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("monitoring URL: unknown macro %s (known: %s)", strings.Join(unknown, ", "), strings.Join(names, " "))
	}
	return t, nil
}

// Expand fills the template for one click.
func (t *MonitorTemplate) Expand(c fixtures.OceanClick, callback, callbackURL string) string {
	v := clickValues{click: c, callback: callback, callbackURL: callbackURL}
	var b strings.Builder
	for i, p := range t.parts {
		if i%2 == 0 {
			b.WriteString(p)
		} else {
			b.WriteString(url.QueryEscape(monitorMacroByName[p].value(v)))
		}
	}
	return b.String()
}

// String returns the template as given.
func (t *MonitorTemplate) String() string { return t.raw }

// MonitorMacrosMarkdown renders the macro table for the README.
func MonitorMacrosMarkdown() string {
	var b strings.Builder
	b.WriteString("| macro | value |\n| --- | --- |\n")
	for _, m := range monitorMacros {
		fmt.Fprintf(&b, "| `%s` | %s |\n", m.Name, m.Meaning)
	}
	return b.String()
}
