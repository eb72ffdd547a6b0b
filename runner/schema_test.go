package runner

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/invopop/jsonschema"
	js "github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite report.schema.json")

// generateReportSchema reflects Report into a JSON Schema, with the Go
// doc comments as descriptions.
func generateReportSchema(t *testing.T) []byte {
	t.Helper()
	r := &jsonschema.Reflector{RequiredFromJSONSchemaTags: false, ExpandedStruct: true}
	wd, _ := os.Getwd()
	if err := os.Chdir(".."); err != nil {
		t.Fatal(err)
	}
	err := r.AddGoComments("github.com/postbacksim/postbacksim", "./runner")
	if cerr := os.Chdir(wd); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("reading Go comments: %v", err)
	}
	s := r.Reflect(&Report{})
	s.ID = "https://postbacksim.dev/report.schema.json"
	s.Title = "postbacksim run report (--format json)"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestReportSchemaInSync regenerates the report schema and compares it
// with the committed file.
func TestReportSchemaInSync(t *testing.T) {
	got := generateReportSchema(t)
	if *update {
		if err := os.WriteFile("report.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, ReportSchemaJSON) {
		t.Fatal("report.schema.json is out of date with the Go types: run go test ./runner -run ReportSchemaInSync -update")
	}
}

// TestJSONReportIsStructured: the JSON report of passing, failing and
// invalid files validates against the published schema, and its failures
// and timeline are objects with JSON values, not preformatted text.
func TestJSONReportIsStructured(t *testing.T) {
	rep := run(t, "testdata/mixed", "testdata/invalid", "testdata/perdelivery")
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	doc, err := js.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := js.UnmarshalJSON(bytes.NewReader(ReportSchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := js.NewCompiler()
	if err := c.AddResource("report.schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatalf("the report schema does not compile: %v", err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("the JSON report does not match its schema: %v", err)
	}

	var got struct {
		Results []struct {
			File     string
			Errors   []FileError
			Failures []struct {
				Path, Message string
				Want, Got     any
			}
			Timeline struct {
				Deliveries []struct {
					ID       string
					Attempts []struct {
						N        int
						Offset   string
						OffsetNS int64 `json:"offset_ns"`
						Outcome  string
						Status   int
					}
				}
				Steps []struct {
					N      int
					Action string
					Status int
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	failures := map[string][]string{}
	for _, r := range got.Results {
		for _, f := range r.Failures {
			failures[r.File] = append(failures[r.File], f.Path)
			if f.Message == "" {
				t.Errorf("%s: failure at %s has no message", r.File, f.Path)
			}
			if f.Path == "impact.expect.offsets" {
				if w, ok := f.Want.([]any); !ok || len(w) != 2 || w[1] != "20s" {
					t.Errorf("offsets want %#v, want a JSON list [0s, 20s]", f.Want)
				}
				if g, ok := f.Got.([]any); !ok || len(g) != 2 || g[1] != "15s" {
					t.Errorf("offsets got %#v", f.Got)
				}
			}
			if f.Path == "ocean.steps[0].expect.code" && (f.Want != 0.0 || f.Got != 40002.0) {
				t.Errorf("code want %#v got %#v, want JSON numbers 0 and 40002", f.Want, f.Got)
			}
		}
		if r.File == "testdata/mixed/pass-impact.yaml" {
			a := r.Timeline.Deliveries[0].Attempts
			if len(a) != 4 || a[1].N != 2 || a[1].Offset != "15s" || a[1].OffsetNS != 15e9 || a[3].Outcome != "delivered" || a[3].Status != 200 {
				t.Errorf("pass-impact timeline attempts: %+v", a)
			}
		}
		if r.File == "testdata/invalid/unknown-key.yaml" {
			want := []FileError{{Line: 5, Column: 3, Path: "impact.recever", Message: `unknown key "recever" (did you mean "receiver"?)`}}
			if !reflect.DeepEqual(r.Errors, want) {
				t.Errorf("the invalid file's errors: %+v, want %+v", r.Errors, want)
			}
		} else if len(r.Errors) > 0 {
			t.Errorf("%s: errors %+v in a valid file's result", r.File, r.Errors)
		}
		if r.File == "testdata/mixed/pass-ocean.yaml" && (len(r.Timeline.Steps) == 0 || r.Timeline.Steps[0].Action == "") {
			t.Errorf("pass-ocean steps: %+v", r.Timeline.Steps)
		}
	}
	for file, want := range map[string][]string{
		"testdata/mixed/fail-impact.yaml": {"impact.expect.offsets", "impact.expect.received[0].query.aid"},
		"testdata/mixed/fail-ocean.yaml":  {"ocean.steps[0].expect.code"},
		"testdata/perdelivery/fail.yaml":  {"impact.expect.outcome", "impact.expect.attempts"}, // inherited: impact.expect says so,
	} {
		if !equalStrings(failures[file], want) {
			t.Errorf("%s: failure paths %q, want %q", file, failures[file], want)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
