package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/postbacksim/postbacksim/api"
	"github.com/postbacksim/postbacksim/internal/openapi"
	"github.com/postbacksim/postbacksim/sandbox"
)

var update = flag.Bool("update", false, "rewrite openapi.json from the code")

// TestOpenAPIInSync: the committed document is what the code describes
// (`make openapi` rewrites it).
func TestOpenAPIInSync(t *testing.T) {
	got, err := openapi.Build()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, api.OpenAPI()) {
		t.Fatal("api/openapi.json is out of date: run `make openapi` and commit it")
	}
}

// TestOpenAPIDocumentIsValid: the document passes the OpenAPI 3.1
// schema, as libopenapi's validator checks it.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	v := newValidator(t)
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("%s: %s (%s)", e.Message, e.Reason, e.HowToFix)
		}
	}
}

// newValidator is libopenapi's validator on the committed document.
func newValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatalf("parsing api/openapi.json: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("building the validator: %v", errs)
	}
	return v
}

// documented are the operations of the committed document, "METHOD
// /path/{param}".
func documented(t *testing.T) map[string]bool {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for p, item := range doc.Paths {
		for m := range item {
			out[strings.ToUpper(m)+" "+p] = true
		}
	}
	return out
}

// TestOpenAPIMatchesTheRouters: every admin route the sandbox's routers
// have is documented, and every documented operation is one of them or
// of the sandbox's fixed endpoints, which TestAnswersMatchTheOpenAPI
// calls.
func TestOpenAPIMatchesTheRouters(t *testing.T) {
	sb := sandbox.New(sandbox.Config{})
	defer sb.Close()
	routes := map[string]bool{}
	for _, r := range sb.AdminRoutes() {
		routes[r.Method+" "+r.Path] = true
	}
	for _, r := range fixedRoutes {
		routes[r] = true
	}
	doc := documented(t)
	for r := range routes {
		if !doc[r] {
			t.Errorf("%s is served but not in api/openapi.json (internal/openapi/operations.go)", r)
		}
	}
	for r := range doc {
		if !routes[r] {
			t.Errorf("%s is in api/openapi.json but no router serves it", r)
		}
	}
}

// fixedRoutes are the sandbox's endpoints that its admin routers do not
// list: the conversion endpoints, the stream, health, metrics, this
// document and the job exports.
var fixedRoutes = []string{
	"GET /track/activate/", "POST /track/activate/", "POST /api/v2/conversion",
	"GET /_admin/stream", "GET " + api.Path, "GET /healthz", "GET /readyz", "GET /metrics",
	"GET /impact/jobs/{id}", "GET /impact/jobs/{id}/result", "GET /impact/file",
}
