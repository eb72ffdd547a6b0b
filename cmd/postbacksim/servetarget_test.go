package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestServeSettingsPrecedence: the health check reads serve's address as
// serve does: flag, then environment, then config file.
func TestServeSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pbs.yaml"), []byte("addr: 127.0.0.1:18503\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name      string
		args      []string
		env       map[string]string
		wantAddr  string
		wantHTTPS bool
	}{
		{"default", []string{"serve"}, nil, "127.0.0.1:8080", false},
		{"flag", []string{"serve", "--addr", "127.0.0.1:18501"}, nil, "127.0.0.1:18501", false},
		{"single-dash flag", []string{"serve", "-addr=127.0.0.1:18501"}, nil, "127.0.0.1:18501", false},
		{"environment", []string{"serve"}, map[string]string{"POSTBACKSIM_ADDR": "127.0.0.1:18502"}, "127.0.0.1:18502", false},
		{"config file, relative to the server's folder", []string{"serve", "--config", "pbs.yaml"}, nil, "127.0.0.1:18503", false},
		{"config file from the environment", []string{"serve"}, map[string]string{"POSTBACKSIM_CONFIG": "pbs.yaml"}, "127.0.0.1:18503", false},
		{"flag beats environment", []string{"serve", "--addr", "127.0.0.1:18501"}, map[string]string{"POSTBACKSIM_ADDR": "127.0.0.1:18502"}, "127.0.0.1:18501", false},
		{"environment beats file", []string{"serve", "--config", "pbs.yaml"}, map[string]string{"POSTBACKSIM_ADDR": "127.0.0.1:18502"}, "127.0.0.1:18502", false},
		{"all interfaces", []string{"serve", "--addr", "0.0.0.0:9000"}, nil, "127.0.0.1:9000", false},
		{"TLS from the environment", []string{"serve"}, map[string]string{"POSTBACKSIM_TLS_CERT": "c.pem", "POSTBACKSIM_TLS_KEY": "k.pem"}, "127.0.0.1:8080", true},
		{"TLS flag", []string{"serve", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, nil, "127.0.0.1:8080", true},
	}
	for _, c := range cases {
		addr, https, err := serveSettings(c.args, env(c.env), dir)
		if err != nil || addr != c.wantAddr || https != c.wantHTTPS {
			t.Errorf("%s: %s https=%v err=%v; want %s https=%v", c.name, addr, https, err, c.wantAddr, c.wantHTTPS)
		}
	}
	if _, _, err := serveSettings([]string{"serve", "--config", "missing.yaml"}, env(nil), dir); err == nil {
		t.Error("a missing config file is not an error")
	}
	if _, _, err := serveSettings([]string{"run", "x.yaml"}, env(nil), dir); err == nil {
		t.Error("a run command line read as serve settings")
	}
}

// fakeProc writes what /proc/PID holds for a process.
func fakeProc(t *testing.T, cmdline, environ, cwd string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(cmdline), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "environ"), []byte(environ), 0o644); err != nil {
		t.Fatal(err)
	}
	if cwd != "" {
		if err := os.Symlink(cwd, filepath.Join(dir, "cwd")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestHealthTargetFollowsTheServer: in the container the HEALTHCHECK asks
// the address process 1 was given on its command line, in its
// environment or in its config file, not a fixed port.
func TestHealthTargetFollowsTheServer(t *testing.T) {
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "c.yaml"), []byte("addr: 0.0.0.0:18505\ntls-cert: /c.pem\ntls-key: /k.pem\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ownEnv := func(k string) string { return map[string]string{"POSTBACKSIM_ADDR": "127.0.0.1:8080"}[k] }
	cases := []struct{ name, cmdline, environ, want string }{
		{"flag", "/postbacksim\x00serve\x00--addr\x00127.0.0.1:18501\x00", "PATH=/\x00", "http://127.0.0.1:18501/healthz"},
		{"environment", "/postbacksim\x00serve\x00", "POSTBACKSIM_ADDR=127.0.0.1:18502\x00", "http://127.0.0.1:18502/healthz"},
		{"config file", "/postbacksim\x00serve\x00--config\x00c.yaml\x00", "", "https://127.0.0.1:18505/healthz"},
		{"not a postbacksim process: our own environment", "/sbin/init\x00", "", "http://127.0.0.1:8080/healthz"},
	}
	for _, c := range cases {
		got, err := healthTarget(fakeProc(t, c.cmdline, c.environ, work), ownEnv)
		if err != nil || got != c.want {
			t.Errorf("%s: %s %v, want %s", c.name, got, err, c.want)
		}
	}
	if got, err := healthTarget(filepath.Join(work, "no-such-process"), ownEnv); err != nil || got != "http://127.0.0.1:8080/healthz" {
		t.Errorf("no process: %s %v", got, err)
	}
}
