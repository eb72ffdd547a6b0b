package mockocean_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
)

// decisionEntry is one "#### d-…" entry of docs/platforms.md: what the
// document says at that point, by its "Document: **KIND**" line.
type decisionEntry struct {
	kind, line string
}

var documentLine = regexp.MustCompile(`^Document: \*\*([a-z-]+)\*\*(.*)$`)

// readDecisions parses the decision entries of docs/platforms.md.
func readDecisions(t *testing.T) map[string]decisionEntry {
	t.Helper()
	b, err := os.ReadFile("../docs/platforms.md")
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]decisionEntry{}
	anchor := ""
	for _, line := range strings.Split(string(b), "\n") {
		if a, ok := strings.CutPrefix(line, "#### "); ok {
			anchor = ""
			if strings.HasPrefix(a, "d-") {
				anchor = a
				entries[anchor] = decisionEntry{}
			}
			continue
		}
		if anchor == "" {
			continue
		}
		if m := documentLine.FindStringSubmatch(line); m != nil {
			if entries[anchor].kind != "" {
				t.Errorf("%s: two Document lines", anchor)
			}
			entries[anchor] = decisionEntry{kind: m[1], line: line}
		}
	}
	return entries
}

// decidedAnchors returns the anchors named by the decided(…) calls of
// the package's source: the deviations a decision accepts with a
// warning.
func decidedAnchors(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	var anchors []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var fn string
			switch x := call.Fun.(type) {
			case *ast.SelectorExpr:
				fn = x.Sel.Name
			case *ast.Ident:
				fn = x.Name
			}
			if fn != "decided" || len(call.Args) < 2 {
				return true
			}
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, _ := strconv.Unquote(lit.Value); strings.HasPrefix(v, "d-") {
						anchors = append(anchors, v)
						return true
					}
				}
			}
			forwards := slices.ContainsFunc(call.Args, func(a ast.Expr) bool { id, ok := a.(*ast.Ident); return ok && id.Name == "anchor" })
			if !forwards { // a helper passing its own anchor parameter on is fine
				t.Errorf("%s: decided(…) without a d-… anchor literal", fset.Position(call.Pos()))
			}
			return true
		})
	}
	return anchors
}

// TestDecisionsNeverOverrideTheDocument: every decision entry says what
// the document says there (silent, ambiguous or self-contradictory,
// quoted; or explicit, where only the answer and --lenient are decided);
// the explicit ones are exactly the leniencies' entries; and every
// deviation that default mode accepts with a warning cites an entry where
// the document is not explicit.
func TestDecisionsNeverOverrideTheDocument(t *testing.T) {
	entries := readDecisions(t)
	if len(entries) < 50 {
		t.Fatalf("%d decision entries: the parser lost them", len(entries))
	}
	for anchor, e := range entries {
		switch e.kind {
		case "":
			t.Errorf("%s: no 'Document: **silent|ambiguous|self-contradictory|explicit**' line", anchor)
		case "silent":
		case "ambiguous", "self-contradictory", "explicit":
			if !strings.Contains(e.line, "「") {
				t.Errorf("%s: %s, without the document's words quoted in 「」", anchor, e.kind)
			}
		default:
			t.Errorf("%s: kind %q", anchor, e.kind)
		}
	}
	var lenientAnchors []string
	for _, l := range mockocean.Leniencies() {
		lenientAnchors = append(lenientAnchors, l.Anchor)
		if e := entries[l.Anchor]; e.kind != "explicit" {
			t.Errorf("leniency %s cites %s, whose document line says %q, not explicit", l.Name, l.Anchor, e.kind)
		} else if !strings.Contains(e.line, "「"+l.Rule+"」") && l.Name != mockocean.LenientExt {
			t.Errorf("leniency %s: %s does not quote its rule 「%s」", l.Name, l.Anchor, l.Rule)
		}
	}
	for anchor, e := range entries {
		if e.kind == "explicit" && !slices.Contains(lenientAnchors, anchor) {
			t.Errorf("%s is explicit but no leniency cites it: default mode must follow the document there", anchor)
		}
	}
	anchors := decidedAnchors(t)
	if len(anchors) == 0 {
		t.Fatal("no decided(…) calls found")
	}
	for _, a := range anchors {
		e, ok := entries[a]
		switch {
		case !ok:
			t.Errorf("decided(%q): no such entry in docs/platforms.md", a)
		case e.kind == "explicit":
			t.Errorf("decided(%q) accepts a deviation in default mode where the document is explicit", a)
		}
	}
}
