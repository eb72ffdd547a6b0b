package mockocean

import "time"

// FillDedupForTest adds ids to the duplicate filter directly, for memory
// benchmarks.
func FillDedupForTest(s *Server, ids []string) {
	now := time.Unix(1_700_000_000, 0)
	for _, id := range ids {
		s.dedup.add(id, now)
	}
}
