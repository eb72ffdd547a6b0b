package mockocean

import (
	"fmt"
	"slices"
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
		j := newJournal(c.capacity, c.maxBytes, nil)
		for i := range 50 {
			j.add(Entry{Raw: Raw{Method: "GET", Query: fmt.Sprintf("callback=c%d&props=%s", i, strings.Repeat("p", i*37%900))}, Msg: "success"})
			var sum int64
			j.mu.Lock()
			for _, e := range j.buf.Slice(nil) {
				sum += e.Size()
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

// TestJournalNewestMatchesTheWholeJournal: reading the newest requests a
// chunk at a time gives what filtering the whole journal gives, for
// every limit, since and filter, across evictions.
func TestJournalNewestMatchesTheWholeJournal(t *testing.T) {
	j := newJournal(300, 0, nil)
	for i := range 1000 {
		j.add(Entry{Status: 200 + i%7})
	}
	filters := map[string]func(*Entry) bool{
		"all":    nil,
		"status": func(e *Entry) bool { return e.Status == 203 },
		"none":   func(*Entry) bool { return false },
	}
	for name, keep := range filters {
		for _, limit := range []int{1, 2, 63, 64, 65, 200, 299, 300, 301, 5000} {
			for _, since := range []uint64{0, 1, 650, 700, 999, 1000, 2000} {
				var want []uint64
				for _, r := range j.entries() {
					if r.Seq > since && (keep == nil || keep(&r)) {
						want = append(want, r.Seq)
					}
				}
				if len(want) > limit {
					want = want[len(want)-limit:]
				}
				var got []uint64
				for _, r := range j.newest(limit, since, keep) {
					got = append(got, r.Seq)
				}
				if !slices.Equal(want, got) {
					t.Fatalf("%s, limit %d, since %d: got %v, want %v", name, limit, since, got, want)
				}
			}
		}
	}
}
