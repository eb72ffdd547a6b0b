package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func serveFlags() (*pflag.FlagSet, *string, *int, *time.Duration) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	capacity := fs.Int("journal-capacity", 100, "")
	ttl := fs.Duration("dedup-ttl", time.Hour, "")
	maxBytes := byteSize(1 << 20)
	fs.Var(&maxBytes, "journal-max-bytes", "")
	fs.String("config", "", "")
	return fs, addr, capacity, ttl
}

// TestPrecedence: flags win over the environment, which wins over the
// config file, which wins over the defaults.
func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "postbacksim.yaml")
	os.WriteFile(file, []byte("addr: 0.0.0.0:9000\njournal-capacity: 5\ndedup-ttl: 2h\n"), 0o644)
	env := map[string]string{"POSTBACKSIM_JOURNAL_CAPACITY": "7", "POSTBACKSIM_ADDR": "127.0.0.1:9100"}
	fs, addr, capacity, ttl := serveFlags()
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9200"}); err != nil {
		t.Fatal(err)
	}
	from, err := applyEnvAndFile(fs, file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if *addr != "127.0.0.1:9200" || *capacity != 7 || *ttl != 2*time.Hour {
		t.Fatalf("addr %s (flag), capacity %d (env), ttl %v (file)", *addr, *capacity, *ttl)
	}
	// Where each came from, for the errors found once all are read.
	for name, want := range map[string]string{
		"addr":              "--addr",
		"journal-capacity":  "environment POSTBACKSIM_JOURNAL_CAPACITY",
		"dedup-ttl":         "config file " + file + ":3: dedup-ttl",
		"journal-max-bytes": "--journal-max-bytes", // the default
	} {
		if got := from.of(name); got != want {
			t.Errorf("source of %s: %q; want %q", name, got, want)
		}
	}
}

func TestConfigErrorsNameTheirSource(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := []struct {
		file string
		env  map[string]string
		want string
	}{
		{write("typo.yaml", "journal-capacty: 5\n"), nil, `unknown key "journal-capacty" (did you mean "journal-capacity"?)`},
		{write("bad.yaml", "journal-capacity: lots\n"), nil, `bad.yaml:1: journal-capacity: "lots": parse error: want a whole number`},
		{write("list.yaml", "journal-capacity: 5\naddr: [1, 2]\n"), nil, `list.yaml:2: addr: want one value, not a list or a map`},
		{write("ttl.yaml", "\n\ndedup-ttl: soon\n"), nil, `ttl.yaml:3: dedup-ttl: "soon": `},
		{write("typo2.yaml", "addr: x\nadr: x\n"), nil, `typo2.yaml:2: unknown key "adr" (did you mean "addr"?)`},
		{write("broken.yaml", "addr: [\n"), nil, "broken.yaml"},
		{"", map[string]string{"POSTBACKSIM_DEDUP_TTL": "soon"}, `environment POSTBACKSIM_DEDUP_TTL="soon"`},
		{filepath.Join(dir, "missing.yaml"), nil, "no such file"},
		{"", map[string]string{"POSTBACKSIM_JOURNAL_MAX_BYTES": "huge"}, `environment POSTBACKSIM_JOURNAL_MAX_BYTES="huge": "huge": want a size such as 256MiB`},
	}
	for _, c := range cases {
		fs, _, _, _ := serveFlags()
		fs.Parse(nil)
		_, err := applyEnvAndFile(fs, c.file, func(k string) string { return c.env[k] })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want %q", c.file, c.env, err, c.want)
		}
	}
}

// TestCallbackKeyErrorNamesItsSource: a key refused after reading names
// where it came from, and what is wrong with it.
func TestCallbackKeyErrorNamesItsSource(t *testing.T) {
	t.Setenv("POSTBACKSIM_CALLBACK_KEY", "73616e64626f782d73686172656420")
	code, _, errs := runCLI("serve", "--addr", "127.0.0.1:0")
	if code != exitUsage || !strings.Contains(errs, "postbacksim serve: environment POSTBACKSIM_CALLBACK_KEY: 15 bytes; want at least 16 bytes as hex") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
}

func TestServeHelpDocumentsEnv(t *testing.T) {
	code, out, _ := runCLI("serve", "--help")
	for _, want := range []string{"[$POSTBACKSIM_ADMIN_TOKEN]", "[$POSTBACKSIM_ADDR]", "--config FILE", "/ns/NAME/"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	code, _, errs := runCLI("healthcheck", "--url", "http://127.0.0.1:1/healthz", "--timeout", "1s")
	if code != exitFail || !strings.Contains(errs, "connection refused") {
		t.Fatalf("down: exit %d %s", code, errs)
	}
}

// TestOceanSettingsFromEnvAndFile: --extra-event-types and --cors-origins
// are read from $POSTBACKSIM_* and the config file too, and checked; the
// error names where the value came from.
func TestOceanSettingsFromEnvAndFile(t *testing.T) {
	t.Setenv("POSTBACKSIM_EXTRA_EVENT_TYPES", "1001=trial_start,0=again")
	code, _, errs := runCLI("serve")
	if code != exitUsage || !strings.Contains(errs, "postbacksim serve: environment POSTBACKSIM_EXTRA_EVENT_TYPES: entry 2 (0=again): 0 is a documented event type") {
		t.Errorf("env: exit %d, stderr %s", code, errs)
	}
	t.Setenv("POSTBACKSIM_EXTRA_EVENT_TYPES", "")
	file := filepath.Join(t.TempDir(), "postbacksim.yaml")
	os.WriteFile(file, []byte("cors-origins: brand.example\n"), 0o644)
	code, _, errs = runCLI("serve", "--config", file)
	if code != exitUsage || !strings.Contains(errs, "postbacksim serve: config file "+file+`:1: cors-origins: entry 1 "brand.example": want an origin`) {
		t.Errorf("config file: exit %d, stderr %s", code, errs)
	}
}

// TestStoreTTLHelpAgreesWithDocs: serve --help and docs/sandbox.md name
// the same state for --store-ttl: what the sandbox gives that TTL.
func TestStoreTTLHelpAgreesWithDocs(t *testing.T) {
	cmd := (&app{}).serveCmd()
	help := cmd.Flags().Lookup("store-ttl").Usage
	doc, err := os.ReadFile("../../docs/sandbox.md")
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(l, "| `--store-ttl` |") {
			row = l
		}
	}
	const kept = "journal, fault rules, postback configurations and deliveries, and the list of namespaces"
	for what, text := range map[string]string{"serve --help": help, "docs/sandbox.md": row} {
		if !strings.Contains(text, kept) || !strings.Contains(text, "--dedup-ttl") {
			t.Errorf("%s on --store-ttl: %q; want %q and the ids' --dedup-ttl", what, text, kept)
		}
	}
}

// TestEveryServeFlagIsDocumented: each flag of serve has a row in the
// settings table of docs/sandbox.md, and each row there names a flag
// serve has.
func TestEveryServeFlagIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/sandbox.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	in := false
	for _, l := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(l, "| flag | default | what |"):
			in = true
		case in && !strings.HasPrefix(l, "|"):
			in = false
		case in && strings.HasPrefix(l, "| `--"):
			first, _, _ := strings.Cut(strings.TrimPrefix(l, "| "), " |")
			for _, f := range strings.Split(first, ", ") {
				rows[strings.Trim(f, "`-")] = true
			}
		}
	}
	if len(rows) == 0 {
		t.Fatal("docs/sandbox.md: no settings table (| flag | default | what |)")
	}
	flags := (&app{}).serveCmd().Flags()
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || f.Hidden || f.Deprecated != "" {
			return
		}
		if !rows[f.Name] {
			t.Errorf("serve --%s has no row in the settings table of docs/sandbox.md", f.Name)
		}
		delete(rows, f.Name)
	})
	for name := range rows {
		t.Errorf("docs/sandbox.md documents --%s, which serve does not have", name)
	}
}
