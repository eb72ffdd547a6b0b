package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/invopop/jsonschema"
	js "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
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
					OneOf:       []*jsonschema.Schema{{Type: "string", MinLength: ptr(uint64(1))}, {Type: "integer", Minimum: num(mockimpact.MinStatus), Maximum: num(mockimpact.MaxStatus)}},
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
	for _, rule := range schemaRules() {
		def, ok := s.Definitions[rule.def]
		if !ok {
			t.Fatalf("schema rule for %s.%s: no such definition", rule.def, rule.prop)
		}
		prop, ok := def.Properties.Get(rule.prop)
		if !ok {
			t.Fatalf("schema rule for %s.%s: no such property", rule.def, rule.prop)
		}
		rule.apply(prop)
	}
	s.ID = "https://postbacksim.dev/scenario.schema.json"
	s.Title = "postbacksim scenario"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func ptr[T any](v T) *T { return &v }

func num(n int) json.Number { return json.Number(strconv.Itoa(n)) }

// schemaRule puts what a table allows into one property of the schema.
type schemaRule struct {
	def, prop string // the $defs entry (the Go type's name) and its property
	apply     func(*jsonschema.Schema)
}

// enum allows the values listed.
func enum(values []string) func(*jsonschema.Schema) {
	return func(s *jsonschema.Schema) {
		s.Enum = nil
		for _, v := range values {
			s.Enum = append(s.Enum, v)
		}
	}
}

// between bounds an integer; max < min means no maximum.
func between(lo, hi int) func(*jsonschema.Schema) {
	return func(s *jsonschema.Schema) {
		s.Minimum = num(lo)
		if hi >= lo {
			s.Maximum = num(hi)
		}
	}
}

// perAttempt allows at most one item per attempt, each item as item says.
func perAttempt(item func(*jsonschema.Schema)) func(*jsonschema.Schema) {
	return func(s *jsonschema.Schema) {
		s.MaxItems = ptr(uint64(mockimpact.MaxAttempts))
		if item != nil {
			item(s.Items)
		}
	}
}

// schemaRules are the schema's enums and bounds, each drawn from the
// table the loader checks the same field against: none is typed into a
// struct tag (TestNoHandTypedBounds).
func schemaRules() []schemaRule {
	upperAndLower := func(list []string) []string {
		out := slices.Clone(list)
		for _, m := range list {
			out = append(out, strings.ToLower(m))
		}
		return out
	}
	rules := []schemaRule{
		{"Impact", "event", enum(fixtures.ImpactEventNames())},
		{"Impact", "fire", between(1, 0)},
		{"Postback", "event", enum(fixtures.ImpactEventNames())},
		{"Postback", "method", enum(upperAndLower(mockimpact.Methods()))},
		{"Postback", "format", enum(mockimpact.Formats())},
		{"Step", "status", between(mockimpact.MinStatus, mockimpact.MaxStatus)},
		{"Step", "fault", enum(mockimpact.FaultNames())},
		{"ReceivedExpect", "delivery", between(1, 0)},
		{"ReceivedExpect", "attempt", between(0, mockimpact.MaxAttempts)},
		{"ReceivedExpect", "method", enum(mockimpact.Methods())},
		{"OceanStep", "repeat", between(1, 0)},
		{"OceanRequest", "encoding", enum(encodings)},
		{"OceanExpect", "status", between(mockimpact.MinStatus, mockimpact.MaxStatus)},
	}
	for _, def := range []string{"DeliveryExpect", "ImpactExpect"} {
		rules = append(rules,
			schemaRule{def, "outcome", enum(deliveryOutcomes())},
			schemaRule{def, "attempts", between(1, mockimpact.MaxAttempts)},
			schemaRule{def, "offsets", perAttempt(nil)},
			schemaRule{def, "outcomes", perAttempt(enum(attemptOutcomes()))},
		)
	}
	return rules
}

// TestNoHandTypedBounds: no struct tag of a scenario type spells an enum
// or a bound; schemaRules draws them from the tables.
func TestNoHandTypedBounds(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(ty reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		for i := range ty.NumField() {
			f := ty.Field(i)
			tag := f.Tag.Get("jsonschema")
			for _, key := range []string{"enum=", "minimum=", "maximum=", "exclusiveMinimum=", "exclusiveMaximum="} {
				if strings.Contains(tag, key) {
					t.Errorf("%s.%s: jsonschema tag %q spells %s…; put it in schemaRules, from its table", ty, f.Name, tag, key)
				}
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Scenario]())
	if len(seen) < 10 {
		t.Fatalf("walked only %d types", len(seen))
	}
}

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
