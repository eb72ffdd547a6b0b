// Package api holds the OpenAPI 3.1 description of the sandbox's HTTP
// surface (openapi.json), which the sandbox serves at Path. The file is
// generated from the code (internal/openapi) and committed, so partners
// outside Go can generate a client from it: `make openapi` rewrites it,
// and TestOpenAPIInSync fails when it is out of date.
package api

import _ "embed"

// Path is where the sandbox serves the document, to anyone: it holds no
// data.
const Path = "/_admin/openapi.json"

//go:embed openapi.json
var document []byte

// OpenAPI returns the document (JSON). The caller must not change it.
func OpenAPI() []byte { return document }
