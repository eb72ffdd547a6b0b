package scenarios

import _ "embed"

// SchemaJSON is the JSON Schema of scenario files, generated from the Go
// types (go test ./scenarios -run Schema -update) and kept in sync by a
// test. Point an editor at it for completion and checking:
//
//	# yaml-language-server: $schema=https://…/scenario.schema.json
//
//go:embed scenario.schema.json
var SchemaJSON []byte
