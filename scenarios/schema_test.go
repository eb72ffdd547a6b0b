package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/invopop/jsonschema"
	js "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
)

var update = flag.Bool("update", false, "rewrite scenario.schema.json")

// generateSchema reflects the scenario types into a JSON Schema, with the
// Go doc comments as descriptions.
func generateSchema(t *testing.T) []byte {
	t.Helper()
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		ExpandedStruct:             true,
		Mapper: func(ty reflect.Type) *jsonschema.Schema {
			switch ty {
			case reflect.TypeFor[clock.Duration]():
				return &jsonschema.Schema{
					Description: `A duration such as "15s", "3m", "1h30m" or "1d6h", or a number of seconds.`,
					OneOf: []*jsonschema.Schema{
						{Type: "string", Pattern: `^\s*(\d+d)?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*\s*$`},
						{Type: "number"},
					},
				}
			case reflect.TypeFor[mockimpact.Matcher]():
				return &jsonschema.Schema{
					Description: `A status code (200) or a text the body contains ("OK"); "text:200" matches the text 200.`,
					OneOf:       []*jsonschema.Schema{{Type: "string", MinLength: ptr(uint64(1))}, {Type: "integer", Minimum: "100", Maximum: "599"}},
				}
			}
			return nil
		},
	}
	// Comments are keyed by path.Join(base, dir), so read them from the
	// module root.
	wd, _ := os.Getwd()
	if err := os.Chdir(".."); err != nil {
		t.Fatal(err)
	}
	err := r.AddGoComments("github.com/postbacksim/postbacksim", "./")
	if cerr := os.Chdir(wd); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("reading Go comments: %v", err)
	}
	s := r.Reflect(&Scenario{})
	s.ID = "https://postbacksim.dev/scenario.schema.json"
	s.Title = "postbacksim scenario"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func ptr[T any](v T) *T { return &v }

// TestSchemaInSync regenerates the schema and compares it with the
// committed file.
func TestSchemaInSync(t *testing.T) {
	got := generateSchema(t)
	if *update {
		if err := os.WriteFile("scenario.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, SchemaJSON) {
		t.Fatal("scenario.schema.json is out of date with the Go types: run go test ./scenarios -run Schema -update")
	}
}

func compileSchema(t *testing.T) *js.Schema {
	t.Helper()
	doc, err := js.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := js.NewCompiler()
	if err := c.AddResource("scenario.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("scenario.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

func yamlAsJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := js.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLibraryMatchesSchema: every library scenario is valid by the schema
// an editor uses, as it is by the loader.
func TestLibraryMatchesSchema(t *testing.T) {
	s := compileSchema(t)
	files, err := Find([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d library files", len(files))
	}
	for _, f := range files {
		if err := s.Validate(yamlAsJSON(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestSchemaRejectsWhatTheLoaderRejects: structural mistakes in the broken
// files fail the schema too, so editors flag them as the loader does.
func TestSchemaRejectsWhatTheLoaderRejects(t *testing.T) {
	s := compileSchema(t)
	for _, name := range []string{"unknown-key.yaml", "wrong-type.yaml", "bad-fault.yaml", "missing-name.yaml"} {
		path := filepath.Join("testdata", "broken", name)
		if err := s.Validate(yamlAsJSON(t, path)); err == nil {
			t.Errorf("%s passes the schema", path)
		} else if !strings.Contains(err.Error(), "jsonschema validation failed") {
			t.Errorf("%s: %v", path, err)
		}
	}
}
