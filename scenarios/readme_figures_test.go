package scenarios

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestREADMEFigures: the counts the README states about scenarios are
// the counts of the repository: the library's files exactly, the schema
// agreement corpus to within a tenth (the README rounds it: "~2,900").
func TestREADMEFigures(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	number := func(re string) int {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(readme)
		if m == nil {
			t.Fatalf("README has no figure matching %s", re)
		}
		n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	files, err := Find([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if said := number("The library in \\[`scenarios/`\\]\\(scenarios\\) \\(([0-9,]+) files"); said != len(files) {
		t.Errorf("README says the library has %d files; it has %d", said, len(files))
	}
	corpus := len(agreementCorpus(t))
	if said := number(`a test runs ~([0-9,]+) files through`); float64(said) < 0.9*float64(corpus) || float64(said) > 1.1*float64(corpus) {
		t.Errorf("README says ~%d files run through the schema and the loader; %d do", said, corpus)
	}
}
