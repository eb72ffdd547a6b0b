package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
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
				return durationSchema()
			case reflect.TypeFor[mockimpact.Matcher]():
				return matcherSchema()
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
	scalarStrings(s)
	for _, def := range s.Definitions {
		scalarStrings(def)
	}
	for _, rule := range structuralRules() {
		target := s
		if rule.def != "" {
			target = s.Definitions[rule.def]
		}
		if target == nil {
			t.Fatalf("structural rule for %s: no such definition", rule.def)
		}
		var add jsonschema.Schema
		if err := json.Unmarshal([]byte(rule.json), &add); err != nil {
			t.Fatalf("structural rule for %s: %v", rule.def, err)
		}
		target.OneOf = append(target.OneOf, add.OneOf...)
		target.AnyOf = append(target.AnyOf, add.AnyOf...)
		target.AllOf = append(target.AllOf, add.AllOf...)
		if add.DependentSchemas != nil {
			if target.DependentSchemas == nil {
				target.DependentSchemas = map[string]*jsonschema.Schema{}
			}
			maps.Copy(target.DependentSchemas, add.DependentSchemas)
		}
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

// Durations as clock.ParseDuration reads them (a Go duration, optionally
// after a number of days, "1d12h"), never negative (the loader refuses a
// minus sign), or a number of seconds.
const (
	durationNumber  = `([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)`
	durationDays    = `(0|[1-9][0-9]*)d`
	durationPattern = `^\s*(` + durationDays + `|(` + durationDays + `)?\+?(0|(` + durationNumber + `)+))\s*$`
	// zeroDuration matches the spellings of no time at all.
	zeroDurationPattern = `^\s*((0+d)|(0+d)?\+?(0|((0+(\.0*)?|\.0+)(ns|us|µs|μs|ms|s|m|h))+))\s*$`
	durationHelp        = `a duration such as "15s", "90s", "2h", "1h30m" or "1d12h" (days, then hours, minutes, seconds, ms), or a number of seconds; never negative`
)

func durationSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "A duration such as \"15s\", \"2h\", \"1h30m\" or \"1d12h\", or a number of seconds (never negative).",
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: durationPattern, Extras: map[string]any{"patternErrorMessage": "want " + durationHelp}},
			{Type: "number", Minimum: "0"},
		},
	}
}

// matcherSchema is mockimpact.ParseMatcher's grammar: a status (three
// digits, MinStatus–MaxStatus), "status:N", "text:T", or any other text
// (a number or true/false is read as its text); empty means unset.
func matcherSchema() *jsonschema.Schema {
	status := fmt.Sprintf(`[%d-%d][0-9]{2}`, mockimpact.MinStatus/100, mockimpact.MaxStatus/100)
	return &jsonschema.Schema{
		Description: `A status code (200) or a text: a success text is the whole body, trimmed ("OK"), an error text one the body contains ("ERROR"); "text:200" matches the text 200, "status:200" the status.`,
		Extras:      map[string]any{"type": []string{"string", "number", "boolean"}},
		Not: &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			// three characters that read as a number, out of range
			{Type: "string", Pattern: `^\s*([0-9]{3}|[+-][0-9]{2})\s*$`, Not: &jsonschema.Schema{Pattern: `^\s*` + status + `\s*$`}},
			{Type: "integer", Minimum: num(mockimpact.MaxStatus + 1), Maximum: "999"},
			{Type: "integer", Minimum: "-99", Maximum: "-10"},
			{Type: "string", Pattern: `^\s*text:\s*$`},
			{Type: "string", Pattern: `^\s*status:`, Not: &jsonschema.Schema{Pattern: `^\s*status:\s*\+?0*` + status + `\s*$`}},
		}},
	}
}

// notRetriedStatus refuses a 400–599 status as the success response, as
// mockimpact.Compile does: such a status is retried whatever the
// configuration says.
func notRetriedStatus(p *jsonschema.Schema) {
	p.Not.AnyOf = append(p.Not.AnyOf,
		&jsonschema.Schema{Type: "string", Pattern: `^\s*(status:\s*\+?0*)?[45][0-9]{2}\s*$`},
		&jsonschema.Schema{Type: "integer", Minimum: "400", Maximum: "599"})
	p.Description += " Not a 400–599 status: that is retried whatever the configuration says."
}

// scalarStrings lets a text field, and the values of a map of texts or
// of single values, be any scalar, as the loader reads them: 7 and true
// are the texts "7" and "true".
func scalarStrings(def *jsonschema.Schema) {
	scalars := func(s *jsonschema.Schema) {
		s.Type = ""
		if s.Extras == nil {
			s.Extras = map[string]any{}
		}
		s.Extras["type"] = []string{"string", "number", "boolean"}
	}
	if def.Properties == nil {
		return
	}
	for pair := def.Properties.Oldest(); pair != nil; pair = pair.Next() {
		p := pair.Value
		switch {
		case p.Type == "string" && p.Enum == nil && p.Pattern == "":
			scalars(p)
		case p.Type == "object" && p.Properties == nil:
			if p.AdditionalProperties == nil || p.AdditionalProperties == jsonschema.TrueSchema {
				p.AdditionalProperties = &jsonschema.Schema{}
			}
			switch {
			case pair.Key == "params": // a request's: single values, or (api: v2) objects and lists that nest
				p.AdditionalProperties.Type = ""
				if p.AdditionalProperties.Extras == nil {
					p.AdditionalProperties.Extras = map[string]any{}
				}
				p.AdditionalProperties.Extras["type"] = []string{"string", "number", "boolean", "object", "array"}
			case pair.Key == "json": // received.json: a single value, or null for a member that must be null
				p.AdditionalProperties.Type = ""
				if p.AdditionalProperties.Extras == nil {
					p.AdditionalProperties.Extras = map[string]any{}
				}
				p.AdditionalProperties.Extras["type"] = []string{"string", "number", "boolean", "null"}
			case p.AdditionalProperties.Type == "string" || p.AdditionalProperties.Type == "":
				scalars(p.AdditionalProperties)
			}
		}
	}
}

// structuralRule adds keywords (oneOf, anyOf, allOf, dependentSchemas)
// to a definition ("" is the root): the rules between keys that the
// loader's checks state in validate.go and mockocean.Fault.Validate.
type structuralRule struct {
	def, json string
}

func structuralRules() []structuralRule {
	notZero := `{"not": {"const": 0}}`
	zeroDuration := `{"anyOf": [{"const": 0}, {"type": "string", "pattern": ` + strconv.Quote(zeroDurationPattern) + `}]}`
	set := func(key, value string) string {
		return `{"required": ["` + key + `"], "properties": {"` + key + `": ` + value + `}}`
	}
	faultStatus, faultDrop, faultMalformed := set("status", notZero), set("drop", `{"const": true}`), set("malformed", `{"const": true}`)
	faultCode := `{"anyOf": [` + set("code", notZero) + `, ` + set("msg", `{"not": {"const": ""}}`) + `]}`
	actions := []string{faultStatus, faultDrop, faultMalformed, faultCode}
	var pairs []string
	for i := range actions {
		for j := i + 1; j < len(actions); j++ {
			pairs = append(pairs, `{"not": {"allOf": [`+actions[i]+`, `+actions[j]+`]}}`)
		}
	}
	checks := func(keys ...string) string {
		var any []string
		for _, k := range keys {
			switch k {
			case "attempts":
				any = append(any, set(k, notZero))
			default:
				any = append(any, `{"required": ["`+k+`"]}`)
			}
		}
		return `{"anyOf": [` + strings.Join(any, ", ") + `]}`
	}
	deliveryChecks := checks("outcome", "attempts", "offsets", "outcomes")
	return []structuralRule{
		// A scenario has exactly one of impact and ocean.
		{"", `{"oneOf": [{"required": ["impact"]}, {"required": ["ocean"]}]}`},
		// Something to check: impact.expect, or a deliveries entry's.
		{"Impact", `{"anyOf": [` + set("expect", checks("outcome", "attempts", "offsets", "outcomes", "first_attempt_at", "received")) +
			`, ` + set("deliveries", `{"contains": `+set("expect", deliveryChecks)+`}`) + `]}`},
		// A fault sends no answer: no status or body with it.
		{"Step", `{"dependentSchemas": {"fault": {"not": {"anyOf": [` + set("status", notZero) + `, ` + set("body", `{"not": {"const": ""}}`) + `]}}}}`},
		// A step does exactly one thing; expect, expect_first and repeat
		// go with a request, which needs expect or expect_first;
		// expect_first needs repeat of 2 or more.
		{"OceanStep", `{"oneOf": [{"required": ["request"]}, {"required": ["fault"]}, ` + set("clear_faults", `{"const": true}`) + `, ` + set("advance", `{"not": `+zeroDuration+`}`) + `],
			"dependentSchemas": {
				"request": {"anyOf": [{"required": ["expect"]}, {"required": ["expect_first"]}]},
				"expect": {"required": ["request"]},
				"expect_first": {"required": ["request", "repeat"], "properties": {"repeat": {"minimum": 2}}},
				"repeat": {"anyOf": [{"required": ["request"]}, {"properties": {"repeat": {"const": 0}}}]}
			}}`},
		// A fault rule does one of status, drop, malformed, code/msg, or
		// only delays.
		// A msg needs a code: code 0 answers success, which a fault
		// cannot fake.
		{"Fault", `{"allOf": [` + strings.Join(pairs, ", ") + `, {"not": {"allOf": [` + set("msg", `{"not": {"const": ""}}`) + `, {"not": ` + set("code", notZero) + `}]}}],
			"anyOf": [` + strings.Join(actions, ", ") + `, ` + set("delay", `{"not": `+zeroDuration+`}`) + `]}`},
	}
}

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

// firstIsZero: offsets count from the first attempt, so the first is 0.
func firstIsZero(s *jsonschema.Schema) {
	s.PrefixItems = []*jsonschema.Schema{{AnyOf: []*jsonschema.Schema{{Const: 0}, {Type: "string", Pattern: zeroDurationPattern}}}}
}

// statusOrZero allows an HTTP status, or 0 (unset: the default).
func statusOrZero(s *jsonschema.Schema) {
	s.AnyOf = []*jsonschema.Schema{{Const: 0}, {Minimum: num(mockimpact.MinStatus), Maximum: num(mockimpact.MaxStatus)}}
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
		{"Impact", "fire", between(0, -1)},
		{"Postback", "event", enum(fixtures.ImpactEventNames())},
		{"Postback", "method", enum(upperAndLower(mockimpact.Methods()))},
		{"Postback", "format", enum(mockimpact.Formats())},
		{"Step", "status", statusOrZero},
		{"Fault", "status", statusOrZero},
		{"Fault", "times", between(0, -1)},
		{"Fault", "probability", between(0, 1)},
		{"Fault", "seed", between(0, -1)},
		{"Postback", "max_rps", between(0, -1)},
		{"Postback", "success", notRetriedStatus},
		{"Step", "fault", enum(mockimpact.FaultNames())},
		{"ReceivedExpect", "delivery", between(0, -1)},
		{"ReceivedExpect", "attempt", between(0, mockimpact.MaxAttempts)},
		{"ReceivedExpect", "method", enum(mockimpact.Methods())},
		{"OceanStep", "repeat", between(0, -1)},
		{"OceanRequest", "encoding", enum(encodings)},
		{"OceanRequest", "api", enum(apis)},
		{"OceanExpect", "status", statusOrZero},
	}
	for _, def := range []string{"DeliveryExpect", "ImpactExpect"} {
		rules = append(rules,
			schemaRule{def, "outcome", enum(deliveryOutcomes())},
			schemaRule{def, "attempts", between(0, mockimpact.MaxAttempts)},
			schemaRule{def, "offsets", func(s *jsonschema.Schema) { perAttempt(nil)(s); firstIsZero(s) }},
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
