package postbacksimtc

import (
	"slices"
	"strings"
	"testing"
)

// TestCommand checks serve's command line for each Option, without Docker.
func TestCommand(t *testing.T) {
	var s settings
	for _, o := range []Option{
		WithAdminToken("tok"), WithStrict(), WithTimeScale(3600), WithConfigFile("x/c.yaml"),
		WithFlags("--lenient"), WithNamespace("a"), WithNamespaces("b", "a"),
	} {
		if err := o(&s); err != nil {
			t.Fatal(err)
		}
	}
	got := s.command("127.0.0.1:9000")
	want := []string{"serve", "--addr", "127.0.0.1:9000", "--admin-token", "tok", "--strict", "--time-scale", "3600", "--config", ConfigPath, "--lenient"}
	if !slices.Equal(got, want) {
		t.Errorf("command = %q, want %q", got, want)
	}
	if !slices.Equal(s.namespaces, []string{"a", "b"}) || s.namespace != "a" {
		t.Errorf("namespaces = %q (addressed %q), want [a b] (a)", s.namespaces, s.namespace)
	}
	if got := (&settings{}).command(""); !slices.Equal(got, []string{"serve"}) {
		t.Errorf("the bare command = %q, want [serve]", got)
	}
}

// TestOptionErrors checks the options refuse what cannot work.
func TestOptionErrors(t *testing.T) {
	for name, o := range map[string]Option{
		"empty token": WithAdminToken(""), "empty namespace": WithNamespace(""), "empty namespaces": WithNamespaces("a", ""),
		"zero time scale": WithTimeScale(0), "negative time scale": WithTimeScale(-1), "empty scenario": WithScenarioFiles(""),
		"empty config": WithConfigFile(""),
	} {
		if err := o(&settings{}); err == nil || !strings.HasPrefix(err.Error(), "postbacksimtc: With") {
			t.Errorf("%s: %v, want an error naming the option", name, err)
		}
	}
	for name, s := range map[string]settings{
		"--addr":                 {flags: []string{"--addr", "0.0.0.0:1"}},
		"--addr=":                {flags: []string{"--addr=0.0.0.0:1"}},
		"two files named x.yaml": {scenarios: []string{"a/x.yaml", "b/x.yaml"}},
	} {
		if err := s.check(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
