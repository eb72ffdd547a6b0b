package clock

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSettleRunsToTheEnd(t *testing.T) {
	v := NewVirtual(time.Time{})
	fired := 0
	for i := 1; i <= 3; i++ {
		v.AfterFunc(time.Duration(i)*time.Hour, func() { fired++ })
	}
	if err := v.Settle(); err != nil {
		t.Fatalf("Settle: %v", err)
	}
	if fired != 3 || v.Pending() != 0 || !v.Now().Equal(Epoch.Add(3*time.Hour)) {
		t.Fatalf("fired %d, pending %d, now %v", fired, v.Pending(), v.Now())
	}
}

// TestSettleExactlyAtTheLimit: a run that needs exactly the limit settles
// (a bare count compared with the limit would call it stuck).
func TestSettleExactlyAtTheLimit(t *testing.T) {
	v := NewVirtual(time.Time{})
	for i := range 5 {
		v.AfterFunc(time.Duration(i)*time.Second, func() {})
	}
	if err := v.settle(5); err != nil {
		t.Fatalf("settle(5) with 5 timers: %v", err)
	}
}

func TestSettleReportsARunawayTimer(t *testing.T) {
	v := NewVirtual(time.Time{})
	var tick func()
	tick = func() { v.AfterFunc(time.Second, tick) }
	v.AfterFunc(time.Second, tick)
	err := v.settle(100)
	if !errors.Is(err, ErrNotSettled) || !strings.Contains(err.Error(), "after 100 timer firings") || !strings.Contains(err.Error(), "1 timer(s) pending") {
		t.Fatalf("settle(100) = %v", err)
	}
	if MaxFirings < 1_000_000 {
		t.Fatalf("MaxFirings = %d: too low for a 16-attempt schedule times many deliveries", MaxFirings)
	}
}
