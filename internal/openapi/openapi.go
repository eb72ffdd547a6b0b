// Package openapi builds the OpenAPI 3.1 description of the sandbox's
// HTTP surface (api/openapi.json): the Ocean endpoints, every admin
// route, the stream, health and metrics. The operations are one table
// (operations.go); the schemas of bodies and answers are reflected from
// the Go types the handlers encode, and the Ocean parameters and v2 body
// fields come from the emulator's own tables, so the document follows
// the code. TestOpenAPIInSync (package api) keeps the committed file
// equal to Build's output; `make openapi` rewrites it.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/har"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// Version is the document's info.version: the admin API's, raised when
// an operation or a schema changes incompatibly.
const Version = "1.0.0"

// param is a parameter of an operation, in the query or the path.
type param struct {
	Name, In, Description string
	Schema                map[string]any
	Required              bool
}

// answer is one documented answer of an operation: a status and its
// body, as a Go value whose type is reflected, or a schema given
// outright.
type answer struct {
	Status      int
	Description string
	// Type is a value of the body's type (reflected); nil with Schema
	// nil means no body.
	Type any
	// Schema is the body's schema when no Go type has its shape.
	Schema map[string]any
	// Content is the media type; empty means application/json.
	Content string
	// Headers names response headers it carries.
	Headers map[string]string
	// Also are other media types the same status may carry, with their
	// schemas (a format chosen by a parameter).
	Also map[string]map[string]any
}

// defaultStatus marks the answer documented as "default": any other
// status.
const defaultStatus = -1

// operation is one method on one path.
type operation struct {
	Method, Path, Tag, ID, Summary, Description string
	Params                                      []param
	// Body is the request body: a value of its type, or BodySchema.
	Body        any
	BodySchema  map[string]any
	BodyContent string // media type of the body; empty: application/json
	// BodyOptional: the body may be empty.
	BodyOptional bool
	// BodyRequired are the members of Body that must be given.
	BodyRequired []string
	Answers      []answer
	// Open: no token needed, whatever the sandbox's configuration.
	Open bool
	// Root: served at the sandbox's root only, not under /ns/{namespace}.
	Root bool
	// Security replaces the document's (the admin token) when set.
	Security []any
}

// Build returns the document as indented JSON, ending in a newline.
func Build() ([]byte, error) {
	b := &builder{schemas: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, op := range operations() {
		item := paths[op.Path]
		if item == nil {
			item = map[string]any{}
			paths[op.Path] = item
		}
		m := strings.ToLower(op.Method)
		if _, dup := item[m]; dup {
			return nil, fmt.Errorf("openapi: %s %s is in the table twice", op.Method, op.Path)
		}
		o, err := b.operation(op)
		if err != nil {
			return nil, fmt.Errorf("openapi: %s %s: %w", op.Method, op.Path, err)
		}
		item[m] = o
	}
	for name, members := range extraMembers {
		c, ok := b.schemas[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("openapi: extra members of %s, which no operation uses", name)
		}
		props := c["properties"].(map[string]any)
		for m, s := range members {
			props[m] = s
		}
	}
	harSchema, err := b.reflect(harReflector, har.Log{})
	if err != nil {
		return nil, err
	}
	b.schemas["HAR"] = map[string]any{"description": "an HTTP Archive 1.2 document (http://www.softwareishard.com/blog/har-12-spec/)", "allOf": []any{harSchema}}
	b.schemas["Error"] = map[string]any{
		"type":        "object",
		"description": "Every admin error: a sentence saying what was wrong and, where it helps, what to do.",
		"properties":  map[string]any{"error": map[string]any{"type": "string"}},
		"required":    []string{"error"},
	}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": map[string]any{
			"title":   "postbacksim sandbox",
			"version": Version,
			"summary": "Emulators of the Ocean Engine conversion API and impact.com event-notification postbacks, and their admin API.",
			"description": "The HTTP surface of `postbacksim serve`: the Ocean Engine conversion endpoints an uploader sends to, " +
				"and the admin API under /_admin/ that a test drives: the journal of what the sandbox received and sent, fault rules, " +
				"the duplicate filter, reports, impact postback configurations, events and deliveries, namespaces. " +
				"Each namespace serves the same endpoints under /ns/{namespace}/ (the second server). " +
				"When the sandbox has an admin token (serve --admin-token) every admin operation needs it as a bearer token; " +
				"a namespace created with a token of its own also opens its own endpoints with that token.",
			"license": map[string]any{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"servers":  servers(),
		"security": []any{map[string]any{"adminToken": []string{}}},
		"tags":     tags(),
		"paths":    paths,
		"components": map[string]any{
			"schemas": b.schemas,
			"securitySchemes": map[string]any{
				"metricsToken": map[string]any{"type": "http", "scheme": "bearer",
					"description": "serve --metrics-token (or the admin token): /metrics needs it only when the sandbox has one; it is open otherwise."},
				"adminToken": map[string]any{"type": "http", "scheme": "bearer",
					"description": "serve --admin-token, or a namespace's own token; not needed when the sandbox has none. Browsers present it in the postbacksim_token cookie, set by the inspector's login form."},
			},
		},
	}
	plainSchemas(doc)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: encoding: %w", err)
	}
	return out.Bytes(), nil
}

// extraMembers are members that types which marshal themselves write
// besides their fields, by component.
var extraMembers = map[string]map[string]any{
	// mockocean.Request.MarshalJSON writes the Ocean answer when there
	// was one (not for an injected 503, a dropped connection, a 413).
	"Request": {
		"code": map[string]any{"type": "integer", "description": "the Ocean answer's code (absent when the request got no Ocean answer)"},
		"msg":  map[string]any{"type": "string", "description": "the Ocean answer's msg (absent when the request got no Ocean answer)"},
	},
}

// servers are the sandbox's root and a namespace's root.
func servers() []any {
	return []any{
		map[string]any{"url": "http://127.0.0.1:8080", "description": "the sandbox's root: the default namespace (make run)"},
		map[string]any{"url": "http://127.0.0.1:8080/ns/{namespace}", "description": "a namespace: the same endpoints but the namespaces, health, metrics and this description",
			"variables": map[string]any{"namespace": map[string]any{"default": "default", "description": "a namespace's name: 1–63 of a-z, 0-9, - and _, starting with a letter or digit"}}},
	}
}

// tags are the document's groups, in order.
func tags() []any {
	var out []any
	for _, t := range [][2]string{
		{"ocean", "The Ocean Engine conversion endpoints an uploader sends to: answers follow the platform's code/msg catalogs."},
		{"ocean-admin", "What the Ocean emulator received, the faults it injects, its duplicate filter and report."},
		{"impact-admin", "impact.com postback configurations, fired events, deliveries and their attempts."},
		{"sandbox", "Namespaces, the live stream, health, metrics and this description."},
		{"impact-jobs", "The exports that job_completed events link to, served for a brand's handler to fetch."},
	} {
		out = append(out, map[string]any{"name": t[0], "description": t[1]})
	}
	return out
}

// builder collects the reflected schemas into components.
type builder struct{ schemas map[string]any }

func (b *builder) operation(op operation) (map[string]any, error) {
	o := map[string]any{"tags": []string{op.Tag}, "operationId": op.ID, "summary": op.Summary}
	if op.Description != "" {
		o["description"] = op.Description
	}
	switch {
	case op.Open:
		o["security"] = []any{}
	case op.Security != nil:
		o["security"] = op.Security
	}
	if op.Root {
		o["servers"] = []any{servers()[0]}
	}
	var params []any
	for _, p := range op.Params {
		pm := map[string]any{"name": p.Name, "in": p.In, "schema": p.Schema}
		if p.Description != "" {
			pm["description"] = p.Description
		}
		if p.Required || p.In == "path" {
			pm["required"] = true
		}
		params = append(params, pm)
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.Body != nil || op.BodySchema != nil {
		s := op.BodySchema
		if op.Body != nil {
			var err error
			if s, err = b.inputSchemaOf(op.Body, op.BodyRequired); err != nil {
				return nil, err
			}
		}
		ct := op.BodyContent
		if ct == "" {
			ct = "application/json"
		}
		o["requestBody"] = map[string]any{"required": !op.BodyOptional, "content": map[string]any{ct: map[string]any{"schema": s}}}
	}
	responses := map[string]any{}
	for _, a := range op.Answers {
		r := map[string]any{"description": a.Description}
		if a.Description == "" {
			r["description"] = http.StatusText(a.Status)
		}
		s := a.Schema
		if a.Type != nil {
			var err error
			if s, err = b.schemaOf(a.Type); err != nil {
				return nil, err
			}
		}
		if s != nil {
			ct := a.Content
			if ct == "" {
				ct = "application/json"
			}
			content := map[string]any{ct: map[string]any{"schema": s}}
			for ct, s := range a.Also {
				content[ct] = map[string]any{"schema": s}
			}
			r["content"] = content
		}
		if len(a.Headers) > 0 {
			h := map[string]any{}
			for name, d := range a.Headers {
				h[name] = map[string]any{"description": d, "schema": map[string]any{"type": "string"}}
			}
			r["headers"] = h
		}
		key := fmt.Sprint(a.Status)
		if a.Status == defaultStatus {
			key = "default"
		}
		responses[key] = r
	}
	o["responses"] = responses
	return o, nil
}

// ref is the schema referring to a component.
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// errorAnswer is an answer whose body is the admin API's error.
func errorAnswer(status int, description string) answer {
	return answer{Status: status, Description: description, Schema: ref("Error")}
}

// reflector reflects the answers' Go types the way encoding/json
// encodes them: a field without omitempty is always there (required).
var reflector = &jsonschema.Reflector{AllowAdditionalProperties: true, Mapper: mapType}

// inputReflector reflects request bodies: no member is required but
// those the operation names (BodyRequired), and their components are
// named NameInput, apart from the answers' NameInput.
var inputReflector = &jsonschema.Reflector{AllowAdditionalProperties: false, RequiredFromJSONSchemaTags: true, Mapper: mapType,
	Namer: func(t reflect.Type) string { return t.Name() + "Input" }}

// harReflector reflects the HTTP Archive types, named HARName apart
// from the journals' own (a HAR Request is not an Ocean Request).
var harReflector = &jsonschema.Reflector{AllowAdditionalProperties: true, Namer: func(t reflect.Type) string {
	if t.Name() == "" {
		return "" // a slice or map: no component of its own
	}
	return "HAR" + t.Name()
}}

// mapType gives the schemas of types whose JSON is not their Go shape:
// they marshal themselves.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[clock.Duration]():
		return &jsonschema.Schema{Type: "string", Description: "a duration: 30s, 1m30s, 250ms (a bare number is seconds)", Examples: []any{"30s"}}
	case reflect.TypeFor[fixtures.Money]():
		return &jsonschema.Schema{Type: "number", Description: "an amount with two decimals"}
	case reflect.TypeFor[fixtures.Timestamp]():
		return &jsonschema.Schema{Type: "string", Format: "date-time"}
	case reflect.TypeFor[mockimpact.Matcher]():
		return &jsonschema.Schema{Description: "a status code (200, or \"200\"), or a text the answer's body must contain (\"OK\"; \"text:500\" for a three-digit text)",
			OneOf: []*jsonschema.Schema{{Type: "string"}, {Type: "integer", Minimum: "100", Maximum: "599"}}}
	}
	return nil
}

// schemaOf is the schema of v's type: a reference to a component for a
// named struct (the components it needs are added), inline otherwise.
func (b *builder) schemaOf(v any) (map[string]any, error) { return b.reflect(reflector, v) }

// inputSchemaOf is schemaOf for a request body, requiring the members
// named.
func (b *builder) inputSchemaOf(v any, required []string) (map[string]any, error) {
	s, err := b.reflect(inputReflector, v)
	if err != nil || len(required) == 0 {
		return s, err
	}
	name := strings.TrimPrefix(fmt.Sprint(s["$ref"]), "#/components/schemas/")
	c, ok := b.schemas[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("required members %v of a body that is not an object", required)
	}
	props, _ := c["properties"].(map[string]any)
	for _, r := range required {
		if _, ok := props[r]; !ok {
			return nil, fmt.Errorf("required member %q is not a member of %s", r, name)
		}
	}
	c["required"] = required
	return s, nil
}

func (b *builder) reflect(r *jsonschema.Reflector, v any) (map[string]any, error) {
	if m, ok := v.(map[string]any); ok { // an object of named members
		return b.object(m)
	}
	s := r.Reflect(v)
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	raw = bytes.ReplaceAll(raw, []byte(`"#/$defs/`), []byte(`"#/components/schemas/`))
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	defs, _ := m["$defs"].(map[string]any)
	for name, d := range defs {
		if prev, ok := b.schemas[name]; ok && !reflect.DeepEqual(prev, d) {
			return nil, fmt.Errorf("two types are named %s: give one a JSON schema name of its own", name)
		}
		b.schemas[name] = d
	}
	delete(m, "$defs")
	delete(m, "$schema")
	delete(m, "$id")
	return m, nil
}

// object is the schema of a JSON object whose members are the keys of
// members, each the schema of its value (a Go value, or a schema as
// map[string]any under the key "schema" of an opt); every member is
// required but those named in the value optional(...).
func (b *builder) object(members map[string]any) (map[string]any, error) {
	props := map[string]any{}
	var required []string
	for name, v := range members {
		opt := false
		if o, ok := v.(optional); ok {
			v, opt = o.v, true
		}
		var s map[string]any
		var err error
		switch x := v.(type) {
		case schema:
			s = x
		default:
			if s, err = b.schemaOf(v); err != nil {
				return nil, fmt.Errorf("member %s: %w", name, err)
			}
		}
		props[name] = s
		if !opt {
			required = append(required, name)
		}
	}
	slices.Sort(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out, nil
}

// schema is a schema given outright, as a member of object.
type schema map[string]any

// optional marks a member of object that may be absent.
type optional struct{ v any }

// plainSchemas replaces the boolean schema true (any value, as
// reflected for a field of type any) by the empty schema, which means
// the same: client generators built on OpenAPI 3.0 models read only
// objects where a schema goes.
func plainSchemas(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "properties" || k == "$defs" || k == "schemas" {
				if m, ok := e.(map[string]any); ok {
					for name, s := range m {
						if s == true {
							m[name] = map[string]any{}
						}
					}
				}
			}
			if k == "items" && e == true {
				x[k] = map[string]any{}
			}
			plainSchemas(x[k])
		}
	case []any:
		for _, e := range x {
			plainSchemas(e)
		}
	}
}
