package mockocean

import "time"

// FillDedupForTest adds ids to the duplicate filter directly, for memory
// benchmarks.
func FillDedupForTest(s *Server, ids []string) {
	now := time.Unix(1_700_000_000, 0).UnixNano()
	s.dedup.mu.Lock()
	defer s.dedup.mu.Unlock()
	for _, id := range ids {
		s.dedup.addAt(s.dedup.key(id), now)
	}
}
