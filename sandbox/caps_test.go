package sandbox

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// TestFaultRulesAreCapped: a namespace takes mockocean.MaxFaultRules
// fault rules; the next is refused with 409 saying how to make room, and
// room made takes one again.
func TestFaultRulesAreCapped(t *testing.T) {
	sb := New(Config{})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c := client{t: t, base: hs.URL}
	for i := range mockocean.MaxFaultRules {
		if s, b := c.do("POST", "/_admin/ocean/faults", fmt.Sprintf(`{"status":503,"match":{"callback":"c%d"}}`, i)); s != 201 {
			t.Fatalf("rule %d: %d %s", i, s, b)
		}
	}
	s, b := c.do("POST", "/_admin/ocean/faults", `{"status":503}`)
	if s != 409 || !strings.Contains(b, "DELETE /_admin/ocean/faults") {
		t.Fatalf("rule %d: %d %s; want 409 naming the way out", mockocean.MaxFaultRules+1, s, b)
	}
	if s, b := c.do("DELETE", "/_admin/ocean/faults", ""); s != 204 {
		t.Fatalf("clear: %d %s", s, b)
	}
	if s, b := c.do("POST", "/_admin/ocean/faults", `{"status":503}`); s != 201 {
		t.Fatalf("after clearing: %d %s", s, b)
	}
}

// TestPendingDeliveriesAreCapped: firing past a namespace's bound on
// pending deliveries, or past the sandbox's over all namespaces, answers
// 409 and stores nothing.
func TestPendingDeliveriesAreCapped(t *testing.T) {
	sb := New(Config{Impact: mockimpact.Options{MaxPending: 3}, MaxPendingDeliveries: 5})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	fire := func(ns string) (int, string) {
		c := client{t: t, base: hs.URL + ns}
		if s, b := c.do("PUT", "/_admin/impact/postbacks/job_completed", `{"url":"http://127.0.0.1:9/x","min_delay":"1h"}`); s != 200 {
			t.Fatalf("configure: %d %s", s, b)
		}
		return c.do("POST", "/_admin/impact/events/job_completed", "")
	}
	for i := range 3 {
		if s, b := fire(""); s != 202 {
			t.Fatalf("fire %d: %d %s", i, s, b)
		}
	}
	if s, b := fire(""); s != 409 || !strings.Contains(b, "too many deliveries pending") || !strings.Contains(b, "namespace") {
		t.Fatalf("fire past the namespace's bound: %d %s", s, b)
	}
	for i := range 2 {
		if s, b := fire("/ns/other"); s != 202 {
			t.Fatalf("fire %d in another namespace: %d %s", i, s, b)
		}
	}
	if s, b := fire("/ns/other"); s != 409 || !strings.Contains(b, "whole sandbox") {
		t.Fatalf("fire past the sandbox's bound: %d %s", s, b)
	}
	if n := len(impactDeliveries(t, sb.Impact)); n != 3 {
		t.Errorf("%d deliveries in the default namespace, want 3", n)
	}
}
