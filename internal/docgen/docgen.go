// Package docgen renders the project's tables as the Markdown that the
// README and docs/*.md carry between markers:
//
//	<!-- generated:NAME -->
//	| … the table … |
//	<!-- /generated:NAME -->
//
// Blocks names every generated table; Rewrite regenerates the blocks of a
// document, and a test keeps every Markdown file of the repository equal
// to its tables (go test ./internal/docgen -update rewrites them).
package docgen

import (
	"fmt"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
	"github.com/postbacksim/postbacksim/mockocean"
)

// Blocks returns the generator of each named block.
func Blocks() map[string]func() string {
	return map[string]func() string{
		"ocean-error-catalog":      mockocean.CatalogMarkdown,
		"ocean-event-types":        mockocean.EventTypesMarkdown,
		"ocean-params":             oceanParams,
		"ocean-monitor-macros":     mockocean.MonitorMacrosMarkdown,
		"ocean-leniencies":         oceanLeniencies,
		"ocean-lint-rules":         oceanLintRules,
		"ocean-v2-catalog":         mockocean.V2CatalogMarkdown,
		"ocean-v2-event-types":     mockocean.V2EventTypesMarkdown,
		"ocean-v2-fields":          oceanV2Fields,
		"impact-events":            impactEvents,
		"impact-outcomes":          impactOutcomes,
		"impact-delivery-outcomes": impactDeliveryOutcomes,
		"impact-retry-schedule":    impactRetrySchedule,
		"impact-faults":            impactFaults,
		"impact-macros":            impactMacros,
		"impact-statuses":          impactStatuses,
	}
}

// table renders a Markdown table; a | in a cell is escaped.
func table(header []string, rows [][]string) string {
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`) // a pipe would split the cell
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	b.WriteString("| " + strings.Join(sep, " | ") + " |\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

func code(s string) string { return "`" + s + "`" }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func oceanParams() string {
	var rows [][]string
	for _, p := range mockocean.Params() {
		example := ""
		if p.Example != "" {
			example = code(p.Example)
		}
		rows = append(rows, []string{code(p.Name), p.Required, p.Meaning, example})
	}
	return table([]string{"parameter", "required", "meaning", "example"}, rows)
}

func impactEvents() string {
	var rows [][]string
	for _, e := range fixtures.ImpactEvents() {
		rows = append(rows, []string{code(e.Name), e.Title, e.English, e.When, fmt.Sprint(len(e.Fields()))})
	}
	return table([]string{"event", "title", "in English", "sent when", "fields"}, rows)
}

func impactOutcomes() string {
	var rows [][]string
	for _, o := range mockimpact.Outcomes() {
		retried := yesNo(o.Retry)
		if o.Flagged {
			retried += ", flagged"
		}
		source := "decision"
		if o.Documented {
			source = "document"
		}
		rows = append(rows, []string{code(string(o.Outcome)), retried, o.When, source})
	}
	return table([]string{"outcome", "retried", "when", "source"}, rows)
}

func impactDeliveryOutcomes() string {
	var rows [][]string
	for _, d := range mockimpact.DeliveryOutcomes() {
		rows = append(rows, []string{code(string(d.Outcome)), yesNo(d.Final), d.When})
	}
	return table([]string{"delivery outcome", "decided by the attempts", "when"}, rows)
}

func impactRetrySchedule() string {
	rows := [][]string{{"1", "—", "0s"}}
	offsets := mockimpact.ScheduleOffsets()
	for i, d := range mockimpact.RetrySchedule() {
		rows = append(rows, []string{fmt.Sprint(i + 2), duration(d), duration(offsets[i+1])})
	}
	return table([]string{"attempt", "delay before it", "offset from the first"}, rows)
}

// duration writes d as time.Duration does, without zero trailing units:
// 3m, 2h, 3m45s.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func impactFaults() string {
	var rows [][]string
	for _, f := range mockimpact.Faults() {
		rows = append(rows, []string{code(f.Name), f.Does})
	}
	return table([]string{"fault", "what the scripted receiver does"}, rows)
}

func impactMacros() string {
	var rows [][]string
	for _, e := range macro.Escapings() {
		rows = append(rows, []string{e.Where, e.How, code(e.Example)})
	}
	return table([]string{"a macro's value lands in", "it is written", code(macro.EscapeExample) + " becomes"}, rows)
}

func impactStatuses() string {
	var rows [][]string
	for _, st := range fixtures.ImpactStatuses() {
		status := code(st.Field + ": " + st.Status)
		if st.Default {
			status += " (default)"
		}
		fills := "—"
		if len(st.Fills) > 0 {
			fills = code(strings.Join(st.Fills, "`, `"))
		}
		source := "decision"
		if st.Documented {
			source = "document"
		}
		sets := st.Sets
		if sets == "" {
			sets = "—"
		}
		rows = append(rows, []string{code(st.Event), status, st.When, fills, sets, source})
	}
	return table([]string{"event", "status", "sent when", "fields it fills (null where not listed)", "a generated event also has", "value from"}, rows)
}

// oceanV2Fields is the table of the v2 body's fields.
func oceanLeniencies() string {
	var rows [][]string
	for _, l := range mockocean.Leniencies() {
		rows = append(rows, []string{"「" + l.Rule + "」", l.Accepts, fmt.Sprint(l.Code), "`lenient_" + l.Name + "`", "[" + l.Anchor + "](#" + l.Anchor + ")"})
	}
	return table([]string{"the document's rule", "`--lenient` accepts, with a warning", "default and strict answer", "report finding", "decision"}, rows)
}

// oceanLintRules is the table of ocean report findings; docs/certify.md
// is a directory below docs/, so anchors are made relative to it.
func oceanLintRules() string {
	var rows [][]string
	for _, r := range mockocean.LintRules() {
		doc := strings.TrimPrefix(r.Doc, "docs/")
		anchor := doc[strings.Index(doc, "#")+1:]
		rows = append(rows, []string{"`" + r.ID + "`", r.Severity, r.Title, r.Hint, "[" + anchor + "](" + doc + ")"})
	}
	return table([]string{"id", "severity", "what was seen", "fix", "see"}, rows)
}

func oceanV2Fields() string {
	var rows [][]string
	for _, f := range mockocean.V2Fields() {
		rows = append(rows, []string{"`" + f.Path + "`", f.Kind, f.English})
	}
	return table([]string{"field", "JSON kind", "what"}, rows)
}
