package mockocean

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// junitSuites is the JUnit XML document CI systems read: one testsuite,
// one testcase per lint rule (a rule the traffic does not show passes).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	Failure *junitFailure `xml:"failure,omitempty"`
	Out     string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes rep as JUnit XML: a testcase per lint rule, failed
// when the traffic shows it at severity failOn or more severe ("never":
// none fails; a finding below it is told in the testcase's output).
func (rep TrafficReport) WriteJUnit(w io.Writer, failOn string) error {
	found := map[string]Finding{}
	for _, f := range rep.Findings {
		found[f.ID] = f
	}
	suite := junitSuite{Name: fmt.Sprintf("Ocean uploader traffic (%d requests)", rep.Requests)}
	for _, rule := range lintRules {
		c := junitCase{Class: "postbacksim.ocean.report." + rule.Severity, Name: rule.ID + ": " + rule.Title}
		if f, ok := found[rule.ID]; ok {
			seqs := make([]string, len(f.Seqs))
			for i, s := range f.Seqs {
				seqs[i] = strconv.FormatUint(s, 10)
			}
			text := fmt.Sprintf("%d requests, e.g. %s\n", f.Count, strings.Join(seqs, ", "))
			if f.Example != "" {
				text += "example: " + f.Example + "\n"
			}
			text += "fix: " + f.Hint + "\nsee: " + f.Doc + "\n"
			if SeverityRank(failOn) > 0 && SeverityRank(f.Severity) >= SeverityRank(failOn) {
				c.Failure = &junitFailure{Message: strings.ToUpper(f.Severity) + ": " + f.Title, Type: f.Severity, Text: text}
				suite.Failures++
			} else {
				c.Out = strings.ToUpper(f.Severity) + " (below --fail-on " + failOn + "): " + text
			}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "postbacksim ocean report", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("ocean report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("ocean report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
