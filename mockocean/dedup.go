package mockocean

import (
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/internal/ring"
)

// dedup remembers accepted outer_event_ids. It is bounded in count
// (oldest evicted first) and in age (TTL), and safe for concurrent use.
//
// Memory per id: one map slot (string header and an int64 expiry) plus one
// ring slot (a string header), sharing the id's bytes; see
// BenchmarkDedupMemory. The ring never copies as it grows (package ring).
type dedup struct {
	mu       sync.Mutex
	capacity int
	ttl      time.Duration
	seen     map[string]int64    // id → expiry, unix nanoseconds
	order    ring.Buffer[string] // ids in insertion order (= expiry order)
	evicted  uint64              // ids dropped for capacity
	expired  uint64              // ids dropped for age
}

// DedupStats describes the duplicate filter's state.
type DedupStats struct {
	Size     int           `json:"size"`
	Capacity int           `json:"capacity"`
	TTL      time.Duration `json:"ttl_ns"`
	Evicted  uint64        `json:"evicted"`
	Expired  uint64        `json:"expired"`
}

func newDedup(capacity int, ttl time.Duration) *dedup {
	return &dedup{capacity: capacity, ttl: ttl, seen: map[string]int64{}}
}

// add records id at time now. It reports false when id was already seen
// and has not expired.
func (d *dedup) add(id string, now time.Time) bool {
	t := now.UnixNano()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(t)
	if exp, ok := d.seen[id]; ok && exp > t {
		return false
	}
	if d.order.Len() == d.capacity {
		d.dropOldest()
		d.evicted++
	}
	d.seen[id] = t + int64(d.ttl)
	d.order.Add(id)
	return true
}

func (d *dedup) expire(now int64) {
	for {
		id, ok := d.order.Front()
		if !ok {
			return
		}
		if exp, ok := d.seen[id]; ok && exp > now {
			return
		}
		d.dropOldest()
		d.expired++
	}
}

func (d *dedup) dropOldest() {
	if id, ok := d.order.Front(); ok {
		delete(d.seen, id)
		d.order.PopFront()
	}
}

func (d *dedup) stats() DedupStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DedupStats{Size: d.order.Len(), Capacity: d.capacity, TTL: d.ttl, Evicted: d.evicted, Expired: d.expired}
}

func (d *dedup) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen = map[string]int64{}
	d.order.Reset()
}
