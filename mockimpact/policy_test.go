package mockimpact_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// fakeResolver answers from a table; it never asks a real DNS server.
type fakeResolver map[string][]string

func (f fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// recordingDial records the addresses it is asked for and connects to
// nothing: no test packet leaves the process, even with the guard broken.
type recordingDial struct {
	mu    sync.Mutex
	addrs []string
}

var errRecorded = errors.New("recorded, not dialed")

func (r *recordingDial) dial(_ context.Context, _, addr string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
	return nil, errRecorded
}

func (r *recordingDial) dialed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.addrs...)
}

// ssrfResolver maps the names of the SSRF table to what an attacker's
// DNS would answer.
var ssrfResolver = fakeResolver{
	"localhost":          {"127.0.0.1", "::1"},
	"127.1":              {"127.0.0.1"}, // what inet_aton makes of it
	"rebind.example":     {"127.0.0.1"},
	"metadata.example":   {"169.254.169.254"},
	"mixed.example":      {"10.0.0.1", "fd00::1"},
	"public.example":     {"93.184.216.34"},
	"public-and-private": {"10.1.1.1", "93.184.216.34"},
}

// SSRFTargets are URLs a shared sandbox must not send to, with the
// dispatcher's own port 8080 standing for its listen address.
var ssrfTargets = []string{
	"http://localhost/x",
	"http://127.1/x",
	"http://127.0.0.1:9/x",
	"http://[::1]/x",
	"http://[::ffff:127.0.0.1]/x",
	"http://[::127.0.0.1]/x",
	"http://[64:ff9b::a00:1]/x",
	"http://rebind.example/x",
	"http://metadata.example/latest/meta-data/",
	"http://169.254.169.254/latest/meta-data/",
	"http://10.0.0.1/x",
	"http://10.255.255.255/x",
	"http://172.16.0.1/x",
	"http://192.168.1.1/x",
	"http://100.64.0.1/x",
	"http://[fd00::1]/x",
	"http://[fe80::1]/x",
	"http://224.0.0.1/x",
	"http://0.0.0.0/x",
	"http://[::]/x",
	"http://mixed.example/x",
	"http://203.0.113.9:8080/x", // the sandbox's own address (Self)
}

func testPolicy() *mockimpact.TargetPolicy {
	return &mockimpact.TargetPolicy{DenyPrivate: true,
		Self: []netip.AddrPort{netip.MustParseAddrPort("203.0.113.9:8080"), netip.MustParseAddrPort("0.0.0.0:8080")}}
}

// fireTo sends one job_completed event to url through d and returns its
// only attempt.
func fireTo(t *testing.T, d *mockimpact.Dispatcher, url string) mockimpact.Attempt {
	t.Helper()
	if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "job_completed", URL: url}); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	if _, err := d.Fire(context.Background(), fixtures.NewImpactGen(1, time.Time{}).JobCompleted()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := len(deliveries(t, d))
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	ds := deliveries(t, d)
	return ds[len(ds)-1].Attempts[0]
}

// TestTargetPolicyRefusesSSRF: every SSRF target ends blocked_target,
// final, with the reason, and the dialer is never asked for it —
// whether the dispatcher's check before sending, the transport's check
// at connect time, or both (the production shape) are in place.
func TestTargetPolicyRefusesSSRF(t *testing.T) {
	for _, shape := range []string{"dispatcher", "transport", "both"} {
		t.Run(shape, func(t *testing.T) {
			rec := &recordingDial{}
			o := mockimpact.Options{Resolver: ssrfResolver}
			lo := mockimpact.LiveOptions{Dial: rec.dial}
			if shape != "transport" {
				o.TargetPolicy = testPolicy()
			}
			if shape != "dispatcher" {
				lo.Policy = testPolicy()
			}
			o.Transport = mockimpact.NewLiveTransportWith(lo)
			d := mockimpact.NewDispatcher(o)
			defer d.Close()
			for _, url := range ssrfTargets {
				a := fireTo(t, d, url)
				if a.Outcome != mockimpact.OutcomeBlockedTarget || a.Retry || !strings.Contains(a.Error, "blocked target") {
					t.Errorf("%s: outcome %s, retry %v, error %q; want blocked_target, final, with the reason", url, a.Outcome, a.Retry, a.Error)
				}
			}
			if got := rec.dialed(); len(got) > 0 {
				t.Errorf("the dialer was asked for %v", got)
			}
			for _, dl := range deliveries(t, d) {
				if dl.Outcome != mockimpact.DeliveryBlocked {
					t.Errorf("%s: delivery %s, want %s", dl.Request.URL, dl.Outcome, mockimpact.DeliveryBlocked)
				}
			}
		})
	}
}

// TestTargetPolicyLetsPublicThrough: public addresses, and a private
// range opened with Allow, reach the dialer (which records them and
// connects nowhere); a name with one public and one private address is
// dialed at the public one only.
func TestTargetPolicyLetsPublicThrough(t *testing.T) {
	rec := &recordingDial{}
	p := testPolicy()
	p.Allow = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
	d := mockimpact.NewDispatcher(mockimpact.Options{Resolver: ssrfResolver, TargetPolicy: p,
		Transport: mockimpact.NewLiveTransportWith(mockimpact.LiveOptions{Policy: p, Dial: rec.dial})})
	defer d.Close()
	for _, url := range []string{"http://public.example/x", "http://public-and-private/x", "http://10.9.1.2:8081/x", "http://[2001:db8::1]/x"} {
		if a := fireTo(t, d, url); a.Outcome != mockimpact.OutcomeNetworkError || !strings.Contains(a.Error, errRecorded.Error()) {
			t.Errorf("%s: %s %q, want the recorded dial's network_error", url, a.Outcome, a.Error)
		}
	}
	want := []string{"93.184.216.34:80", "93.184.216.34:80", "10.9.1.2:8081", "[2001:db8::1]:80"}
	if got := rec.dialed(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("dialed %v, want %v", got, want)
	}
}

// TestTargetPolicyOff: without DenyPrivate, loopback is a target like
// any other (make run, local receivers).
func TestTargetPolicyOff(t *testing.T) {
	rec := &recordingDial{}
	d := mockimpact.NewDispatcher(mockimpact.Options{Resolver: ssrfResolver, TargetPolicy: &mockimpact.TargetPolicy{},
		Transport: mockimpact.NewLiveTransportWith(mockimpact.LiveOptions{Dial: rec.dial})})
	defer d.Close()
	if a := fireTo(t, d, "http://localhost:9/x"); a.Outcome != mockimpact.OutcomeNetworkError {
		t.Errorf("policy off: %s %q", a.Outcome, a.Error)
	}
}

// TestTargetPolicyControlHook: the net.Dialer Control hook refuses a
// loopback address the real dialer resolved itself, against a real
// loopback listener, which never sees a connection.
func TestTargetPolicyControlHook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	dialer := &net.Dialer{Timeout: time.Second, Control: testPolicy().Control}
	c, err := dialer.DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	if err == nil {
		c.Close()
		t.Fatal("the Control hook let a connection to localhost through")
	}
	if !errors.Is(err, mockimpact.ErrBlockedTarget) {
		t.Errorf("error %v does not wrap ErrBlockedTarget", err)
	}
	select {
	case <-accepted:
		t.Error("the listener accepted a connection")
	case <-time.After(50 * time.Millisecond):
	}
}

// TestParseAllowTargets: ranges and single addresses; a bad entry is an
// error naming it.
func TestParseAllowTargets(t *testing.T) {
	got, err := mockimpact.ParseAllowTargets("10.0.0.0/8, 192.168.1.7,fd00::/8")
	if err != nil || len(got) != 3 || got[1].String() != "192.168.1.7/32" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := mockimpact.ParseAllowTargets("10.0.0.0/8,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("bad entry: %v", err)
	}
}

// TestTargetPolicyWildcardSelf: a sandbox listening on 0.0.0.0:P (or
// [::]:P) answers every loopback address at P, and 0.0.0.0 reaches it
// too: all are refused as self, --allow-targets 127.0.0.0/8 notwithstanding,
// in every spelling; the same addresses at another port, and a listener
// bound to 127.0.0.1 only, leave 127.0.0.2 open.
func TestTargetPolicyWildcardSelf(t *testing.T) {
	allowLoopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, wildcard := range []string{"0.0.0.0:8080", "[::]:8080"} {
		p := &mockimpact.TargetPolicy{DenyPrivate: true, Allow: allowLoopback, Self: []netip.AddrPort{netip.MustParseAddrPort(wildcard)}}
		for _, target := range []string{"127.0.0.1:8080", "127.0.0.2:8080", "127.1.2.3:8080", "[::ffff:127.0.0.2]:8080", "[::1]:8080", "0.0.0.0:8080", "0.1.2.3:8080"} {
			err := p.Check(netip.MustParseAddrPort(target))
			var be *mockimpact.BlockedTargetError
			if !errors.As(err, &be) || !be.Self() || strings.Contains(err.Error(), "--allow-targets") {
				t.Errorf("listening on %s, %s: %v; want refused as self, with no hint that a setting opens it", wildcard, target, err)
			}
		}
		if err := p.Check(netip.MustParseAddrPort("127.0.0.2:9090")); err != nil {
			t.Errorf("listening on %s, another port of 127.0.0.2: %v", wildcard, err)
		}
	}
	exact := &mockimpact.TargetPolicy{DenyPrivate: true, Allow: allowLoopback, Self: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}}
	if err := exact.Check(netip.MustParseAddrPort("127.0.0.2:8080")); err != nil {
		t.Errorf("listening on 127.0.0.1 only, 127.0.0.2 at the same port: %v", err)
	}
	if err := exact.Check(netip.MustParseAddrPort("127.0.0.1:8080")); err == nil {
		t.Error("listening on 127.0.0.1:8080, the listen address itself was let through")
	}
}
