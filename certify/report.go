package certify

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Formats lists the report formats, for flag help and completion.
func Formats() []string { return []string{"text", "json", "junit", "html"} }

// Write writes rep in format (text, json, junit or html).
func (rep *Report) Write(w io.Writer, format string) error {
	switch format {
	case "", "text":
		return rep.WriteText(w)
	case "json":
		return rep.WriteJSON(w)
	case "junit":
		return rep.WriteJUnit(w)
	case "html":
		return rep.WriteHTML(w)
	}
	return fmt.Errorf("format %q: want text, json, junit or html", format)
}

// WriteJSON writes rep as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("certify: write JSON: %w", err)
	}
	return nil
}

// groups returns the checks by event, in report order.
func (rep *Report) groups() []group {
	var out []group
	idx := map[string]int{}
	for _, c := range rep.Checks {
		i, ok := idx[c.Event]
		if !ok {
			i = len(out)
			idx[c.Event] = i
			out = append(out, group{Event: c.Event})
			for _, l := range rep.Latency {
				if l.Event == c.Event {
					out[i].Latency = l
				}
			}
		}
		out[i].Checks = append(out[i].Checks, c)
	}
	return out
}

type group struct {
	Event   string
	Latency EventLatency
	Checks  []Check
}

// WriteText writes rep for a person: one line per passing check, the
// request, answer and rule for the others, grouped by event.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "certify impact receiver %s\n", rep.Target)
	fmt.Fprintf(&b, "  %s, %s; seed %d (send the same payloads again: --seed %d); time scale %g; %s; postbacksim %s\n",
		rep.MethodText(), rep.eventsText(), rep.Seed, rep.Seed, rep.TimeScale, rep.Date.Format(time.RFC3339), cmp.Or(rep.Version, "(version not given)"))
	for _, g := range rep.groups() {
		fmt.Fprintf(&b, "\n%s: %d checks, latency p50 %s, p95 %s\n", g.Event, len(g.Checks), Human(g.Latency.P50), Human(g.Latency.P95))
		for _, c := range g.Checks {
			last := c.Response
			if c.Second != nil {
				last = c.Second // the answer the verdict rests on
			}
			fmt.Fprintf(&b, "  %-4s %-48s %s%s\n", strings.ToUpper(string(c.Result)), c.ID, c.Outcome, answerSummary(last))
			if c.Result == Pass {
				continue
			}
			fmt.Fprintf(&b, "       %s\n", c.Detail)
			fmt.Fprintf(&b, "       request:  %s %s\n", c.Request.Method, c.Request.URL)
			if c.Request.Body != "" {
				fmt.Fprintf(&b, "                 %s\n", clip(c.Request.Body, 160))
			}
			if c.Response != nil {
				fmt.Fprintf(&b, "       response:%s\n", answerSummary(c.Response))
				if c.Response.Body != "" {
					fmt.Fprintf(&b, "                 %q\n", clip(c.Response.Body, 160))
				}
			}
			if c.Second != nil {
				fmt.Fprintf(&b, "       again:   %s\n", answerSummary(c.Second))
			}
			fmt.Fprintf(&b, "       why:      %s\n", c.Why)
		}
	}
	fmt.Fprintf(&b, "\n%d passed, %d warned, %d failed\n", rep.Passed, rep.Warned, rep.Failed)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("certify: write text: %w", err)
	}
	return nil
}

func answerSummary(a *ReceivedAnswer) string {
	switch {
	case a == nil:
		return ""
	case a.Error != "":
		return fmt.Sprintf(" (%s)", a.Error)
	}
	return fmt.Sprintf(" HTTP %d in %s", a.Status, Human(a.Latency))
}

// Human writes a latency for people, to two or three significant
// digits: 45 µs, 0.8 ms, 5.4 ms, 120 ms, 1.2 s, 31 s. The JSON report
// keeps the exact nanoseconds.
func Human(d time.Duration) string {
	switch {
	case d < 100*time.Microsecond:
		return fmt.Sprintf("%d µs", d.Round(time.Microsecond)/time.Microsecond)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond)/time.Millisecond)
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d s", d.Round(time.Second)/time.Second)
}

// MethodText and eventsText say what the battery covered (MethodText
// for the HTML header too).
func (rep *Report) MethodText() string {
	if rep.Method == "" {
		return "GET and POST"
	}
	return rep.Method + " only"
}

func (rep *Report) eventsText() string {
	if len(rep.Events) == 0 {
		return "no event"
	}
	return "events " + strings.Join(rep.Events, ", ")
}

// DocsBase is where the report's links to the documentation point: the
// project's repository, whose docs/ the rules cite.
const DocsBase = "https://github.com/postbacksim/postbacksim/blob/main/"

var docRef = regexp.MustCompile(`docs/[a-z0-9_.-]+\.md#[A-Za-z0-9_-]+`)

// linkDocs escapes s for HTML and makes each docs/FILE.md#anchor in it a
// link.
func linkDocs(s string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range docRef.FindAllStringIndex(s, -1) {
		b.WriteString(template.HTMLEscapeString(s[last:m[0]]))
		ref := s[m[0]:m[1]]
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, template.HTMLEscapeString(DocsBase+ref), template.HTMLEscapeString(ref))
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String()) // every piece is escaped above
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// JUnit XML, as CI systems read it. Exported so tests (and callers) can
// parse a report back.
type (
	// JUnitSuites is the document element.
	JUnitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Suites   []JUnitSuite `xml:"testsuite"`
	}
	// JUnitSuite holds one event's checks.
	JUnitSuite struct {
		Name string `xml:"name,attr"`
		// Properties say what produced the report (target, seed …).
		Properties []JUnitProperty `xml:"properties>property,omitempty"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Time       string          `xml:"time,attr"`
		Cases      []JUnitCase     `xml:"testcase"`
	}
	// JUnitCase is one check; a warning passes with a note in SystemOut.
	JUnitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *JUnitFailure `xml:"failure,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	// JUnitProperty is one name and value of a suite's properties.
	JUnitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	// JUnitFailure is a failed check.
	JUnitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes rep as JUnit XML: a suite per event, a test case per
// check; a warning passes with a note in system-out, a failure fails.
func (rep *Report) WriteJUnit(w io.Writer) error {
	doc := JUnitSuites{}
	for _, g := range rep.groups() {
		s := JUnitSuite{Name: "certify." + g.Event, Properties: []JUnitProperty{
			{"target", rep.Target}, {"method", rep.MethodText()}, {"seed", strconv.FormatInt(rep.Seed, 10)},
			{"time_scale", strconv.FormatFloat(rep.TimeScale, 'g', -1, 64)}, {"date", rep.Date.Format(time.RFC3339)}, {"version", rep.Version},
		}}
		var total time.Duration
		for _, c := range g.Checks {
			var lat time.Duration
			if c.Response != nil {
				lat = c.Response.Latency
			}
			total += lat
			jc := JUnitCase{Name: c.ID, Classname: "certify." + c.Event, Time: fmt.Sprintf("%.3f", lat.Seconds())}
			text := fmt.Sprintf("%s\n\nrequest: %s %s\n%s\n\nresponse:%s\n%s\n\nwhy: %s", c.Detail, c.Request.Method, c.Request.URL,
				c.Request.Body, answerSummary(c.Response), bodyOf(c.Response), c.Why)
			switch c.Result {
			case Fail:
				jc.Failure = &JUnitFailure{Message: c.Detail, Type: string(c.Outcome), Text: text}
				s.Failures++
			case Warn:
				jc.SystemOut = "warning: " + text
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		s.Time = fmt.Sprintf("%.3f", total.Seconds())
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("certify: write JUnit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("certify: write JUnit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func bodyOf(a *ReceivedAnswer) string {
	if a == nil {
		return ""
	}
	return a.Body
}

// WriteHTML writes rep as one self-contained HTML page: inline CSS, no
// scripts or external assets, every value escaped by html/template.
func (rep *Report) WriteHTML(w io.Writer) error {
	if err := htmlReport.Execute(w, struct {
		*Report
		Groups []group
	}{rep, rep.groups()}); err != nil {
		return fmt.Errorf("certify: write HTML: %w", err)
	}
	return nil
}

// sortedHeaders lists headers as "Name: value" lines, sorted.
func sortedHeaders(h map[string]string) []string {
	out := make([]string, 0, len(h))
	for k, v := range h {
		out = append(out, k+": "+v)
	}
	sort.Strings(out)
	return out
}

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"headers": sortedHeaders,
	"human":   Human,
	"links":   linkDocs,
	"upper":   func(r Result) string { return strings.ToUpper(string(r)) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>postbacksim certify: {{.Target}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:2em}
.sum span{display:inline-block;padding:.2em .6em;margin-right:.5em;border-radius:3px}
.meta{width:auto;margin-bottom:1em}.meta th{background:#f4f4f4}
.pass{background:#e3f5e1}.warn{background:#fff4cc}.fail{background:#fbe0e0}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:12px}
details summary{cursor:pointer}
</style></head><body>
<h1>Receiver report card: {{.Target}}</h1>
<table class="meta">
<tr><th>target</th><td><code>{{.Target}}</code></td></tr>
<tr><th>method</th><td>{{.MethodText}}</td></tr>
<tr><th>events</th><td>{{range $i, $e := .Events}}{{if $i}}, {{end}}{{$e}}{{end}}</td></tr>
<tr><th>seed</th><td>{{.Seed}} (send the same payloads again: <code>--seed {{.Seed}}</code>)</td></tr>
<tr><th>time scale</th><td>{{.TimeScale}}</td></tr>
<tr><th>date</th><td>{{.Date.Format "2006-01-02T15:04:05Z07:00"}}</td></tr>
<tr><th>version</th><td>postbacksim {{if .Version}}{{.Version}}{{else}}(not given){{end}}</td></tr>
</table>
<p class="sum"><span class="pass">{{.Passed}} passed</span><span class="warn">{{.Warned}} warned</span><span class="fail">{{.Failed}} failed</span></p>
{{range .Groups}}
<h2>{{.Event}}</h2>
<p>{{len .Checks}} checks; latency p50 {{human .Latency.P50}}, p95 {{human .Latency.P95}}</p>
<table><tr><th>result</th><th>check</th><th>outcome</th><th>details</th></tr>
{{range .Checks}}<tr class="{{.Result}}"><td>{{upper .Result}}</td><td><code>{{.ID}}</code></td><td>{{.Outcome}}</td><td>
{{if .Detail}}<p>{{.Detail}}</p>{{end}}
<details><summary>request, answer and rule</summary>
<p><b>request</b></p><pre>{{.Request.Method}} {{.Request.URL}}
{{range headers .Request.Headers}}{{.}}
{{end}}
{{.Request.Body}}</pre>
{{with .Response}}<p><b>answer</b></p><pre>{{if .Error}}{{.Error}}{{else}}HTTP {{.Status}} in {{human .Latency}}
{{range headers .Headers}}{{.}}
{{end}}
{{.Body}}{{end}}</pre>{{end}}
{{with .Second}}<p><b>answer to the same request again</b></p><pre>{{if .Error}}{{.Error}}{{else}}HTTP {{.Status}} in {{human .Latency}}
{{.Body}}{{end}}</pre>{{end}}
<p><b>why</b> {{links .Why}}</p>
</details></td></tr>
{{end}}</table>
{{end}}
</body></html>
`))
