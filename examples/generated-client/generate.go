// Package generatedclient shows a client generated from the sandbox's
// OpenAPI description with oapi-codegen (package sandboxapi), and a test
// that drives a sandbox with it. Regenerate with `go generate` here;
// TestGeneratedClientIsUpToDate fails when api/openapi.json changed and
// the client was not regenerated.
package generatedclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../api/openapi.json
