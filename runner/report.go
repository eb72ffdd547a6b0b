package runner

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
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
					b.WriteString(indent(f, "        ") + "\n")
				}
				if res.Timeline != "" {
					b.WriteString("        timeline:\n" + indent(strings.TrimRight(res.Timeline, "\n"), "          ") + "\n")
				}
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

// JUnit XML, as CI systems read it.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one test case per scenario,
// a failure per failed scenario, an error per invalid file. Times are the
// simulated time each scenario covered, so the XML is the same run after
// run.
func (r Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{Name: "postbacksim", Tests: len(r.Results), Failures: r.Failed, Errors: r.Invalid}
	var total float64
	for _, res := range r.Results {
		c := junitCase{Name: res.Name, Classname: res.File, Time: fmt.Sprintf("%.3f", res.Simulated.Seconds())}
		total += res.Simulated.Seconds()
		switch res.Status {
		case Invalid:
			c.Name = res.File
			c.Error = &junitMessage{Message: firstLine(res.Error), Type: "invalid", Text: res.Error}
		case Fail:
			text := strings.Join(res.Failures, "\n\n")
			c.Failure = &junitMessage{Message: firstLine(text), Type: "expectation", Text: text + "\n\ntimeline:\n" + res.Timeline}
		default:
			c.SystemOut = res.Summary
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Time = fmt.Sprintf("%.3f", total)
	doc := junitSuites{Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
