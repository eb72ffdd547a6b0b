// Package room admits callers against a bound that is expensive to
// count (pending deliveries in a store, or in every namespace): a count
// says how many more fit, and that many are let in before the next
// count, one count at a time.
package room

import (
	"sync"
	"sync/atomic"
)

// Room is what the last count left. The zero value is empty: the first
// Take counts. Safe for concurrent use.
type Room struct {
	left     atomic.Int64
	counting sync.Mutex // held by the one caller counting
}

// Take lets one caller in. While room is left it only takes one; when
// none is, it calls count, one caller at a time (the others wait, then
// take from the room that count found): count returns how many more fit,
// this caller included, or an error, which Take returns, admitting no
// one. A count that returns fit < 1 must return an error.
//
// Callers let in between two counts are not seen by the second one until
// they are stored: the bound can be passed by the callers admitted but
// not yet stored when a count runs, never by a count's worth.
func (r *Room) Take(count func() (fit int, err error)) error {
	if r.take() {
		return nil
	}
	r.counting.Lock()
	defer r.counting.Unlock()
	if r.take() { // a count made room while this caller waited
		return nil
	}
	fit, err := count()
	if err != nil {
		return err
	}
	r.left.Store(int64(fit - 1))
	return nil
}

// take takes one from the room left, if any.
func (r *Room) take() bool {
	for {
		n := r.left.Load()
		if n <= 0 {
			return false
		}
		if r.left.CompareAndSwap(n, n-1) {
			return true
		}
	}
}
