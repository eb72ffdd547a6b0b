package runner

import _ "embed"

// ReportSchemaJSON is the JSON Schema of the JSON report (Report as
// WriteJSON writes it), generated from the Go types with their doc
// comments as descriptions (go test ./runner -run ReportSchemaInSync
// -update) and kept in sync by a test. `postbacksim schema --report`
// prints it.
//
//go:embed report.schema.json
var ReportSchemaJSON []byte
