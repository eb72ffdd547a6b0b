package mockocean

import (
	"fmt"
	"strings"
	"testing"
)

// TestJournalBytesAddUp: whichever bound evicts an entry, the journal's
// byte count stays the sum of what it holds.
func TestJournalBytesAddUp(t *testing.T) {
	for _, c := range []struct {
		capacity int
		maxBytes int64
	}{{3, 0}, {0, 4000}, {4, 3000}, {0, 0}} {
		j := newJournal(c.capacity, c.maxBytes, func(*entry) Request { return Request{} })
		for i := range 50 {
			j.add(entry{raw: Raw{Method: "GET", Query: fmt.Sprintf("callback=c%d&props=%s", i, strings.Repeat("p", i*37%900))}, msg: "success"})
			var sum int64
			j.mu.Lock()
			for _, e := range j.buf.Slice(nil) {
				sum += e.size()
			}
			j.mu.Unlock()
			st := j.stats()
			if st.Bytes != sum {
				t.Fatalf("%+v after %d: bytes %d, stored entries sum to %d", c, i+1, st.Bytes, sum)
			}
			if c.maxBytes > 0 && st.Bytes > c.maxBytes && st.Stored > 1 {
				t.Fatalf("%+v after %d: %d bytes over the budget", c, i+1, st.Bytes)
			}
			if uint64(st.Stored)+st.Evicted != st.Received {
				t.Fatalf("%+v after %d: stored %d + evicted %d != received %d", c, i+1, st.Stored, st.Evicted, st.Received)
			}
		}
	}
}
