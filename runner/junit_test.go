package runner

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// junitElement is one element of the Jenkins/Ant JUnit schema
// (junit-10.xsd, github.com/windyroad/JUnit-Schema, the one Jenkins'
// JUnit plugin and most CI tools follow): the attributes it may carry,
// those it must, and its children in the order the schema's xs:sequence
// allows them.
type junitElement struct {
	attrs, required []string
	children        []string
	text            bool // mixed content or text only
}

var junitXSD = map[string]junitElement{
	"testsuites": {attrs: []string{"name", "time", "tests", "failures", "disabled", "errors"}, children: []string{"testsuite"}},
	"testsuite": {
		attrs:    []string{"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url", "version"},
		required: []string{"name", "tests"},
		children: []string{"properties", "testcase", "system-out", "system-err"},
	},
	"properties": {children: []string{"property"}},
	"property":   {attrs: []string{"name", "value"}, required: []string{"name", "value"}},
	"testcase": {
		attrs:    []string{"name", "assertions", "time", "classname", "status"},
		required: []string{"name"},
		children: []string{"skipped", "error", "failure", "system-out", "system-err"},
	},
	"skipped":    {attrs: []string{"message"}, text: true},
	"error":      {attrs: []string{"message", "type"}, text: true},
	"failure":    {attrs: []string{"message", "type"}, text: true},
	"system-out": {text: true},
	"system-err": {text: true},
}

// junitXSDErrors walks a JUnit document and returns every element,
// attribute, missing required attribute, misplaced child or text that
// junit-10.xsd does not allow, and every time that is not a decimal.
func junitXSDErrors(doc []byte) []string {
	var errs []string
	errorf := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	dec := xml.NewDecoder(bytes.NewReader(doc))
	type open struct {
		name string
		last int // index in children of the last child seen
	}
	var stack []open
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(errs, fmt.Sprintf("JUnit does not parse: %v", err))
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			el, ok := junitXSD[name]
			if !ok {
				errorf("element <%s> is not in the JUnit schema", name)
				continue
			}
			if len(stack) == 0 && name != "testsuites" && name != "testsuite" {
				errorf("root <%s>, want <testsuites> or <testsuite>", name)
			}
			if len(stack) > 0 {
				parent := &stack[len(stack)-1]
				i := slices.Index(junitXSD[parent.name].children, name)
				switch {
				case i < 0:
					errorf("<%s> inside <%s>: not allowed", name, parent.name)
				case i < parent.last:
					errorf("<%s> inside <%s> after a later element of its sequence", name, parent.name)
				default:
					parent.last = i
				}
			}
			seen := map[string]bool{}
			for _, a := range tok.Attr {
				seen[a.Name.Local] = true
				if !slices.Contains(el.attrs, a.Name.Local) {
					errorf("<%s %s=…>: attribute not in the JUnit schema", name, a.Name.Local)
				}
				if a.Name.Local == "time" {
					if _, err := strconv.ParseFloat(a.Value, 64); err != nil || strings.ContainsAny(a.Value, "eE") {
						errorf("<%s time=%q>: not a decimal number of seconds", name, a.Value)
					}
				}
			}
			for _, r := range el.required {
				if !seen[r] {
					errorf("<%s> lacks required attribute %s", name, r)
				}
			}
			stack = append(stack, open{name: name})
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && !junitXSD[stack[len(stack)-1].name].text && strings.TrimSpace(string(tok)) != "" {
				errorf("text inside <%s>", stack[len(stack)-1].name)
			}
		}
	}
	return errs
}

// TestJUnitFollowsTheSchema: the JUnit report of passing, failing,
// invalid and live (skipped checks) results is what junit-10.xsd allows;
// times are wall-clock seconds and the simulated time is a property; it
// parses back with the right counts and messages.
func TestJUnitFollowsTheSchema(t *testing.T) {
	rep := run(t, "testdata/mixed", "testdata/invalid")
	for i := range rep.Results {
		rep.Results[i].Elapsed = time.Duration(i+1) * 7 * time.Millisecond // as if measured
	}
	rep.Results[0].Skipped = []SkippedCheck{{Path: "impact.expect.received", Reason: "live run"}}
	var buf bytes.Buffer
	if err := rep.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	for _, e := range junitXSDErrors(buf.Bytes()) {
		t.Error(e)
	}

	// The checker fails on what the schema forbids: a suite without a
	// name, properties in a test case, a time that is no number.
	bad := `<testsuites><testsuite tests="1"><testcase name="x" time="1m"><properties/></testcase></testsuite></testsuites>`
	if errs := junitXSDErrors([]byte(bad)); len(errs) != 3 {
		t.Errorf("the checker on %s: %q, want 3 errors", bad, errs)
	}

	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name       string `xml:"name,attr"`
			Time       string `xml:"time,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Time      string `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, buf.String())
	}
	if doc.Tests != 6 || doc.Failures != 2 || doc.Errors != 1 || len(doc.Suites) != 6 {
		t.Fatalf("counts %d/%d/%d, %d suites", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	failures, errs := 0, 0
	for i, s := range doc.Suites {
		if len(s.Cases) != 1 {
			t.Fatalf("suite %s: %d cases", s.Name, len(s.Cases))
		}
		c := s.Cases[0]
		if want := strconv.FormatFloat(float64(i+1)*0.007, 'f', 3, 64); c.Time != want || s.Time != want {
			t.Errorf("%s: time %s/%s, want the wall-clock %s", s.Name, c.Time, s.Time, want)
		}
		if c.Failure != nil {
			failures++
			if !strings.Contains(c.Failure.Message, "want ") || strings.Contains(c.Failure.Message, "\n") || !strings.Contains(c.Failure.Text, "timeline") {
				t.Errorf("failure of %s: %+v", c.Classname, c.Failure)
			}
		}
		if c.Error != nil {
			errs++
			if !strings.Contains(c.Error.Message, `unknown key "recever"`) {
				t.Errorf("error message %q", c.Error.Message)
			}
			continue
		}
		props := map[string]string{}
		for _, p := range s.Properties {
			props[p.Name] = p.Value
		}
		if s.Name == "testdata/mixed/pass-impact.yaml" && props["simulated_time"] != "75.000" {
			t.Errorf("%s: simulated_time %q, want 75.000 (1m15s)", s.Name, props["simulated_time"])
		}
		if i == 0 && props["skipped_check"] != "impact.expect.received: live run" {
			t.Errorf("%s: skipped_check %q", s.Name, props["skipped_check"])
		}
	}
	if failures != 2 || errs != 1 {
		t.Fatalf("%d failures, %d errors", failures, errs)
	}
}
