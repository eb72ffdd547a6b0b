package inspector_test

import (
	"testing"

	"github.com/postbacksim/postbacksim/inspector"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// TestFeedWakesWhoWaits: a reader that took Changed is woken by the next
// Add, and only by it; Since gives what was added after a number, and
// whether some of it was no longer kept.
func TestFeedWakesWhoWaits(t *testing.T) {
	f := inspector.NewFeed(2)
	closed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	f.Add(mockimpact.Attempt{DeliveryID: "d1"}) // nobody waits yet
	c1 := f.Changed()
	if closed(c1) {
		t.Fatal("Changed taken after the last Add is already closed")
	}
	if c2 := f.Changed(); c2 != c1 {
		t.Error("two readers waiting for the same Add got different channels")
	}
	f.Add(mockimpact.Attempt{DeliveryID: "d2"})
	if !closed(c1) {
		t.Fatal("the Add after Changed did not wake the reader")
	}
	c3 := f.Changed()
	if closed(c3) {
		t.Fatal("the channel taken after the wake-up is closed before the next Add")
	}
	f.Add(mockimpact.Attempt{DeliveryID: "d3"})
	if !closed(c3) {
		t.Fatal("the third Add did not wake the reader")
	}
	if f.Last() != 3 {
		t.Errorf("Last = %d, want 3", f.Last())
	}
	got, gap := f.Since(0)
	if !gap || len(got) != 2 || got[0].Seq != 2 || got[0].DeliveryID != "d2" || got[1].DeliveryID != "d3" {
		t.Errorf("Since(0) = %+v, gap %t; want d2 and d3 with a gap", got, gap)
	}
	if got, gap := f.Since(3); len(got) != 0 || gap {
		t.Errorf("Since(3) = %+v, %t; want nothing", got, gap)
	}
}
