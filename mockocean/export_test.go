package mockocean

import "time"

// FillDedupForTest adds ids to the duplicate filter directly, for memory
// benchmarks.
func FillDedupForTest(s *Server, ids []string) {
	now := time.Unix(1_700_000_000, 0).UnixNano()
	d := s.state.(*memoryState).dedup
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		d.addAt(d.key(id), now)
	}
}
