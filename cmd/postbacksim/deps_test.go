package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestMachinery: test helpers live in their own packages
// (oceantest, impacttest, runnertest), so the server binary links none of
// the testing packages or assertion libraries.
func TestBinaryLinksNoTestMachinery(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{"testing", "net/http/httptest", "github.com/google/go-cmp/", "github.com/stretchr/testify/"}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if pkg == f || strings.HasSuffix(f, "/") && strings.HasPrefix(pkg, f) {
				t.Errorf("the binary links %s", pkg)
			}
		}
	}
}
