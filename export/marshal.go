package export

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/postbacksim/postbacksim/scenarios"
)

// SchemaLine is the first line of an exported file: it points editors
// at the scenario schema (postbacksim schema > scenario.schema.json).
const SchemaLine = "# yaml-language-server: $schema=./scenario.schema.json"

// Marshal writes sc as a scenario file: the schema line, the comment
// lines given (each prefixed with "# "), then the YAML. The result
// loads with scenarios.Parse; Marshal checks that it does, so an export
// that postbacksim run would refuse is an error here, with the
// loader's message.
func Marshal(sc *scenarios.Scenario, comments ...string) ([]byte, error) {
	body, err := yaml.MarshalWithOptions(sc, yaml.UseLiteralStyleIfMultiline(true), yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("writing the scenario: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(SchemaLine + "\n")
	for _, c := range comments {
		for _, line := range strings.Split(c, "\n") {
			b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
		}
	}
	b.Write(body)
	if _, err := scenarios.Parse("exported scenario", b.Bytes()); err != nil {
		return nil, fmt.Errorf("the exported scenario does not load (please report it): %w", err)
	}
	return b.Bytes(), nil
}
