// Package scenarios is the model of scenario files: YAML that scripts what
// a receiving side does and says what must happen. An impact scenario
// configures a postback, scripts a brand's receiver attempt by attempt and
// states the delivery's expected outcome, attempt offsets and the requests
// received; an Ocean scenario is a list of requests to the Ocean Engine
// emulator with the answers they must get, and faults injected between
// them. Package runner executes scenarios.
//
//	# yaml-language-server: $schema=./scenario.schema.json
//	name: my receiver recovers after a 503 and a timeout
//	impact:
//	  event: action_lifecycle
//	  postback: {url: "{receiver}/impact?aid={ActionId}", method: GET, format: none, success: OK}
//	  receiver: [{status: 503}, {fault: timeout}, {status: 200, body: OK}]
//	  expect: {outcome: delivered, offsets: [0s, 15s, 1m0s]}
//
// Load reads and checks a file strictly: unknown keys (with the nearest
// valid one), wrong types, bad durations, template mistakes and impossible
// expectations (offsets faster than the retry schedule, a final outcome
// followed by more attempts, a msg that the code never has) are errors
// naming the file, line and column. Find expands files and folders into
// scenario files, skipping testdata and dot-folders.
//
// SchemaJSON is the JSON Schema of the files, generated from these types
// with their doc comments as descriptions; editors with a YAML language
// server complete keys from it. It accepts what Load accepts, and refuses
// what Load refuses except a few cross-field checks (docs/scenarios.md
// lists them). Parse never panics, whatever the input. Every key is described in docs/scenarios.md
// of the repository.
package scenarios
