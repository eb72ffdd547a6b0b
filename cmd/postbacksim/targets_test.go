package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// TestTargetPolicyDefaults: the policy is on when serve listens beyond
// loopback, off on loopback, as given when given; the listen address is
// always among the refused ones.
func TestTargetPolicyDefaults(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	for _, c := range []struct {
		listen      string
		deny, given bool
		want        bool
	}{
		{"127.0.0.1:8080", false, false, false},
		{"[::1]:8080", false, false, false},
		{"0.0.0.0:8080", false, false, true},
		{"[::]:8080", false, false, true},
		{"192.0.2.7:8080", false, false, true},
		{"127.0.0.1:8080", true, true, true},
		{"0.0.0.0:8080", false, true, false},
	} {
		p, err := targetPolicy(c.deny, c.given, "", tcp(c.listen))
		if err != nil || p.Enabled() != c.want {
			t.Errorf("listen %s, --deny-private-targets=%v (given %v): enabled %v %v, want %v", c.listen, c.deny, c.given, p.Enabled(), err, c.want)
		}
	}
	p, _ := targetPolicy(true, true, "127.0.0.0/8", tcp("0.0.0.0:18080"))
	if err := p.Check(netip.MustParseAddrPort("127.0.0.1:18080")); err == nil {
		t.Error("the sandbox's own port on loopback is allowed when --allow-targets opens 127.0.0.0/8")
	}
	if err := p.Check(netip.MustParseAddrPort("127.0.0.1:18081")); err != nil {
		t.Errorf("an allowed loopback receiver is refused: %v", err)
	}
	if _, err := targetPolicy(true, true, "10.0.0.0/8,bogus", tcp("0.0.0.0:1")); err == nil {
		t.Error("a bad --allow-targets entry is accepted")
	}
}

// TestHealthCheckWithPolicyFlags: the health check still finds the
// server's effective address when the policy and namespace flags are
// set, on the command line, in the environment and in the config file.
func TestHealthCheckWithPolicyFlags(t *testing.T) {
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "c.yaml"), []byte("addr: 0.0.0.0:18507\ndeny-private-targets: true\nallow-targets: 10.0.0.0/8\nopen-namespaces: false\nnamespace-ttl: 1h\nmetrics-token: mmmmmmmmmmmmmmmm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ownEnv := func(string) string { return "" }
	cases := []struct{ name, cmdline, environ, want string }{
		{"flags", "/postbacksim\x00serve\x00--deny-private-targets\x00--allow-targets\x00192.168.0.0/16,fd00::/8\x00--addr\x000.0.0.0:18506\x00--open-namespaces=false\x00--metrics-token\x00m\x00", "", "http://127.0.0.1:18506/healthz"},
		{"environment", "/postbacksim\x00serve\x00", "POSTBACKSIM_ADDR=127.0.0.1:18508\x00POSTBACKSIM_DENY_PRIVATE_TARGETS=false\x00POSTBACKSIM_ALLOW_TARGETS=10.0.0.0/8\x00POSTBACKSIM_NAMESPACE_TTL=0\x00", "http://127.0.0.1:18508/healthz"},
		{"config file", "/postbacksim\x00serve\x00--config\x00c.yaml\x00", "", "http://127.0.0.1:18507/healthz"},
	}
	for _, c := range cases {
		got, err := healthTarget(fakeProc(t, c.cmdline, c.environ, work), ownEnv)
		if err != nil || got != c.want {
			t.Errorf("%s: %s %v, want %s", c.name, got, err, c.want)
		}
	}
}
