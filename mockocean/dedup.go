package mockocean

import (
	"sync"
	"time"
)

// dedup remembers accepted outer_event_ids. It is bounded in count
// (oldest evicted first) and in age (TTL), and safe for concurrent use.
//
// Memory per id: one map slot (string header and an int64 expiry) plus one
// ring slot (a string header), sharing the id's bytes; see
// BenchmarkDedupMemory.
type dedup struct {
	mu       sync.Mutex
	capacity int
	ttl      time.Duration
	seen     map[string]int64 // id → expiry, unix nanoseconds
	ring     []string         // ids in insertion order (= expiry order)
	head     int              // index of the oldest id in ring
	n        int              // ids in ring
	evicted  uint64           // ids dropped for capacity
	expired  uint64           // ids dropped for age
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
	if d.n == d.capacity {
		d.dropOldest()
		d.evicted++
	}
	d.seen[id] = t + int64(d.ttl)
	d.push(id)
	return true
}

func (d *dedup) expire(now int64) {
	for d.n > 0 {
		if exp, ok := d.seen[d.ring[d.head]]; ok && exp > now {
			return
		}
		d.dropOldest()
		d.expired++
	}
}

func (d *dedup) dropOldest() {
	delete(d.seen, d.ring[d.head])
	d.ring[d.head] = ""
	d.head = (d.head + 1) % len(d.ring)
	d.n--
}

// push appends id to the ring, growing it (up to capacity) when full.
func (d *dedup) push(id string) {
	if d.n == len(d.ring) {
		size := min(max(2*len(d.ring), 1024), d.capacity)
		grown := make([]string, size)
		for i := 0; i < d.n; i++ {
			grown[i] = d.ring[(d.head+i)%len(d.ring)]
		}
		d.ring, d.head = grown, 0
	}
	d.ring[(d.head+d.n)%len(d.ring)] = id
	d.n++
}

func (d *dedup) stats() DedupStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DedupStats{Size: d.n, Capacity: d.capacity, TTL: d.ttl, Evicted: d.evicted, Expired: d.expired}
}

func (d *dedup) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen, d.ring, d.head, d.n = map[string]int64{}, nil, 0, 0
}
