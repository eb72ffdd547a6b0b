package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestComposeSettingsPass: the settings compose.yaml gives the replicas
// pass serve's checks (with the callback key each deployment generates,
// which the file requires instead of shipping one), up to the store,
// which names a host only Docker resolves.
func TestComposeSettingsPass(t *testing.T) {
	raw, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.UnmarshalWithOptions(raw, &doc, yaml.AllowDuplicateMapKey()); err != nil { // a merge key (<<) and an override
		t.Fatalf("compose.yaml: %v", err)
	}
	env := doc.Services["sandbox-1"].Environment
	if len(env) == 0 {
		t.Fatal("compose.yaml: no environment for sandbox-1")
	}
	required := regexp.MustCompile(`^\$\{(\w+):\?(.+)\}$`)
	m := required.FindStringSubmatch(env["POSTBACKSIM_CALLBACK_KEY"])
	if m == nil || m[1] != "POSTBACKSIM_CALLBACK_KEY" || !strings.Contains(m[2], "openssl rand -hex 32") {
		t.Fatalf("POSTBACKSIM_CALLBACK_KEY in compose.yaml is %q; want it required from the environment, saying how to make one", env["POSTBACKSIM_CALLBACK_KEY"])
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for k, v := range env {
		if required.MatchString(v) {
			v = hex.EncodeToString(key) // what openssl rand -hex 32 gives
		}
		t.Setenv(k, v)
	}
	t.Setenv("POSTBACKSIM_STORE", "redis://") // checked after every other setting
	code, _, errs := runCLI("serve", "--addr", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(errs, `environment POSTBACKSIM_STORE: "redis://": no host`) {
		t.Fatalf("serve with compose.yaml's settings: exit %d\n%s\nwant every setting but the store accepted", code, errs)
	}
}
