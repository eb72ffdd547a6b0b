package runner

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes one line per scenario, and for a failure its diffs
// and timeline; last, the counts.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, res := range r.Results {
		switch res.Status {
		case Invalid:
			fmt.Fprintf(&b, "INVALID %s\n%s\n", res.File, indent(res.Error, "        "))
		default:
			fmt.Fprintf(&b, "%-7s %s — %s (%s)\n", strings.ToUpper(string(res.Status)), res.File, res.Name, res.Summary)
			if res.Status == Fail {
				for _, f := range res.Failures {
					b.WriteString(indent(strings.TrimRight(f.Text(), "\n"), "        ") + "\n")
				}
				if tl := res.Timeline.String(); tl != "" {
					b.WriteString("        timeline:\n" + indent(strings.TrimRight(tl, "\n"), "          ") + "\n")
				}
			}
			for _, sk := range res.Skipped {
				fmt.Fprintf(&b, "        skipped check %s: %s\n", sk.Path, sk.Reason)
			}
		}
	}
	if r.Invalid > 0 {
		fmt.Fprintf(&b, "%d invalid file(s)\n", r.Invalid)
	}
	fmt.Fprintf(&b, "%d passed, %d failed\n", r.Passed, r.Failed)
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// WriteJSON writes the report as JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit XML, as CI systems read it: the element and attribute names of
// the Jenkins/Ant JUnit schema (junit-10.xsd). Each scenario is a test
// suite of one test case, so its properties (simulated time, skipped
// checks) sit where that schema allows them: on the suite.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Error     *junitMessage `xml:"error,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// seconds formats a duration as JUnit's time: seconds, three decimals.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: a test suite per scenario
// file holding one test case, with a failure per failed scenario and an
// error per invalid file. Times are wall-clock seconds; the simulated time
// each scenario covered is the suite's simulated_time property (seconds),
// and each check a run could not make a skipped_check property.
func (r Report) WriteJUnit(w io.Writer) error {
	doc := junitSuites{Name: "postbacksim", Tests: len(r.Results), Failures: r.Failed, Errors: r.Invalid}
	var total time.Duration
	for _, res := range r.Results {
		total += res.Elapsed
		c := junitCase{Name: res.Name, Classname: res.File, Time: seconds(res.Elapsed)}
		suite := junitSuite{Name: res.File, Tests: 1, Time: seconds(res.Elapsed)}
		switch res.Status {
		case Invalid:
			c.Name = res.File
			c.Error = &junitMessage{Message: firstLine(res.Error), Type: "invalid", Text: res.Error}
			suite.Errors = 1
		case Fail:
			texts := make([]string, len(res.Failures))
			for i, f := range res.Failures {
				texts[i] = strings.TrimRight(f.Text(), "\n")
			}
			text := strings.Join(texts, "\n\n")
			c.Failure = &junitMessage{Message: failureSummary(res.Failures), Type: "expectation", Text: text + "\n\ntimeline:\n" + res.Timeline.String()}
			suite.Failures = 1
		default:
			c.SystemOut = res.Summary
		}
		if res.Status != Invalid {
			props := []junitProperty{{Name: "simulated_time", Value: seconds(res.Simulated)}}
			for _, sk := range res.Skipped {
				props = append(props, junitProperty{Name: "skipped_check", Value: sk.Path + ": " + sk.Reason})
			}
			suite.Properties = &junitProperties{Property: props}
		}
		suite.Cases = []junitCase{c}
		doc.Suites = append(doc.Suites, suite)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// failureSummary is every failure on one line, for the message CI
// dashboards show: where, what, and want/got as compact JSON.
func failureSummary(fs []Failure) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		msg := strings.TrimSuffix(strings.TrimSpace(firstLine(f.Message)), ":")
		part := msg
		if f.Path != "" && !strings.HasPrefix(msg, f.Path) {
			part = f.Path + ": " + msg
		}
		if (f.Want != nil || f.Got != nil) && !strings.Contains(msg, "want ") {
			want, _ := json.Marshal(f.Want)
			got, _ := json.Marshal(f.Got)
			part += fmt.Sprintf(" (want %s, got %s)", want, got)
		}
		parts[i] = part
	}
	return strings.Join(parts, "; ")
}
