package clock

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestVirtualFiresInOrder(t *testing.T) {
	v := NewVirtual(time.Time{})
	var got []time.Duration
	record := func() { got = append(got, v.Now().Sub(Epoch)) }
	v.AfterFunc(30*time.Second, record)
	v.AfterFunc(10*time.Second, record)
	v.AfterFunc(20*time.Second, func() {
		record()
		v.AfterFunc(5*time.Second, record) // scheduled from a callback: due at 25s
	})
	if n := v.Advance(15 * time.Second); n != 1 {
		t.Fatalf("Advance(15s) fired %d timers, want 1", n)
	}
	if now := v.Now().Sub(Epoch); now != 15*time.Second {
		t.Fatalf("after Advance(15s) the clock reads +%v", now)
	}
	v.RunUntilIdle(0)
	want := []time.Duration{10 * time.Second, 20 * time.Second, 25 * time.Second, 30 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fire times (-want +got):\n%s", diff)
	}
}

func TestVirtualTiesKeepScheduleOrder(t *testing.T) {
	v := NewVirtual(time.Time{})
	var got []int
	for i := range 5 {
		v.AfterFunc(time.Second, func() { got = append(got, i) })
	}
	v.RunUntilIdle(0)
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, got); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
}

func TestVirtualStop(t *testing.T) {
	v := NewVirtual(time.Time{})
	fired := false
	tm := v.AfterFunc(time.Second, func() { fired = true })
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	if tm.Stop() {
		t.Fatal("second Stop returned true")
	}
	v.RunUntilIdle(0)
	if fired {
		t.Fatal("stopped timer fired")
	}
}

func TestVirtualRunUntilIdleLimit(t *testing.T) {
	v := NewVirtual(time.Time{})
	var tick func()
	tick = func() { v.AfterFunc(time.Second, tick) }
	v.AfterFunc(time.Second, tick)
	if n := v.RunUntilIdle(100); n != 100 {
		t.Fatalf("RunUntilIdle(100) fired %d", n)
	}
	if v.Pending() != 1 {
		t.Fatalf("pending = %d, want 1", v.Pending())
	}
}

func TestVirtualSleepWakesOnAdvance(t *testing.T) {
	v := NewVirtual(time.Time{})
	var wg sync.WaitGroup
	wg.Add(1)
	woke := make(chan time.Time, 1)
	scheduled := v.Scheduled()
	go func() {
		defer wg.Done()
		if err := v.Sleep(context.Background(), time.Hour); err != nil {
			t.Errorf("Sleep: %v", err)
		}
		woke <- v.Now()
	}()
	<-scheduled // the sleeper has registered its timer
	select {
	case at := <-woke:
		t.Fatalf("sleeper woke at +%v before the clock moved", at.Sub(Epoch))
	default:
	}
	v.Advance(2 * time.Hour)
	wg.Wait()
	// The timer fires at +1h; by the time the sleeper reads the clock,
	// Advance may or may not have moved on to +2h.
	if got := (<-woke).Sub(Epoch); got < time.Hour || got > 2*time.Hour {
		t.Fatalf("sleeper woke at +%v, want between +1h and +2h", got)
	}
}

func TestVirtualSleepCancel(t *testing.T) {
	v := NewVirtual(time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on a cancelled context = %v", err)
	}
	if v.Pending() != 0 {
		t.Fatalf("cancelled sleep left %d timers", v.Pending())
	}
}

func TestRealSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := (Real{}).Sleep(context.Background(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != time.Minute {
			t.Fatalf("slept %v", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := (Real{}).Sleep(ctx, time.Hour); err != context.DeadlineExceeded {
			t.Fatalf("Sleep past deadline = %v", err)
		}
		fired := make(chan struct{})
		(Real{}).AfterFunc(time.Second, func() { close(fired) })
		<-fired
	})
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{`"15s"`: 15 * time.Second, `"1h30m"`: 90 * time.Minute, `30`: 30 * time.Second, `"1d6h"`: 30 * time.Hour, `"2d"`: 48 * time.Hour, `0.5`: 500 * time.Millisecond} {
		var d Duration
		if err := d.UnmarshalJSON([]byte(in)); err != nil || d.D() != want {
			t.Errorf("%s → %v %v, want %v", in, d, err, want)
		}
	}
	for _, bad := range []string{`"15"`, `"abc"`, `true`, `"1x"`} {
		var d Duration
		if err := d.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if b, _ := Duration(90 * time.Second).MarshalText(); string(b) != "1m30s" {
		t.Errorf("marshal %s", b)
	}
}

func TestScaled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScaled(60)
		start := s.Now()
		fired := make(chan time.Time, 1)
		s.AfterFunc(time.Hour, func() { fired <- s.Now() })
		at := <-fired
		if got := at.Sub(start); got != time.Hour {
			t.Fatalf("fired at +%v scaled", got)
		}
		if err := s.Sleep(context.Background(), 2*time.Hour); err != nil || s.Now().Sub(start) != 3*time.Hour {
			t.Fatalf("sleep: %v, now +%v", err, s.Now().Sub(start))
		}
	})
}

func TestVirtualScheduledSignals(t *testing.T) {
	v := NewVirtual(time.Time{})
	ch := v.Scheduled()
	select {
	case <-ch:
		t.Fatal("closed before any timer")
	default:
	}
	v.AfterFunc(time.Second, func() {})
	select {
	case <-ch:
	default:
		t.Fatal("not closed after AfterFunc")
	}
	if next := v.Scheduled(); next == ch {
		t.Fatal("the channel was not replaced")
	}
}

func TestScaledFromAgree(t *testing.T) {
	epoch := time.Now().Add(-time.Hour)
	a, b := NewScaledFrom(epoch, 60), NewScaledFrom(epoch, 60)
	ta, tb := a.Now(), b.Now()
	if d := tb.Sub(ta); d < 0 || d > 60*time.Second {
		t.Fatalf("two clocks from one epoch differ by %v", d)
	}
	if got := ta.Sub(epoch); got < 59*time.Hour || got > 61*time.Hour {
		t.Fatalf("an hour after the epoch, a 60× clock reads %v after it; want 60h", got)
	}
}
