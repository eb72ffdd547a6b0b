package mockocean

import (
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/ring"
)

// dedup remembers accepted outer_event_ids. It is bounded in count
// (oldest evicted first) and in age (TTL), and safe for concurrent use.
//
// An id is stamped with the clock when it is stored, under the lock, not
// when its request arrived: a slow POST stored after a quicker request
// would otherwise sit behind an entry that expires later and expire
// early. Each ring slot carries the expiry it was stored with, so a
// stale slot (an id stored again after it expired) never removes the
// newer one.
//
// Memory per id: one map slot (string header and an int64 expiry) plus one
// ring slot (a string header and an int64), sharing the id's bytes; see
// BenchmarkDedupMemory. The ring never copies as it grows (package ring).
type dedup struct {
	mu       sync.Mutex
	clock    clock.Clock
	capacity int
	ttl      time.Duration
	seen     map[string]int64        // id → expiry, unix nanoseconds
	order    ring.Buffer[dedupEntry] // ids in the order stored
	evicted  uint64                  // ids dropped for capacity
	expired  uint64                  // ids dropped for age
}

// dedupEntry is a ring slot: an id and the expiry it was stored with.
type dedupEntry struct {
	id  string
	exp int64
}

// DedupStats describes the duplicate filter's state.
type DedupStats struct {
	Size     int           `json:"size"`
	Capacity int           `json:"capacity"`
	TTL      time.Duration `json:"ttl_ns"`
	Evicted  uint64        `json:"evicted"`
	Expired  uint64        `json:"expired"`
}

func newDedup(c clock.Clock, capacity int, ttl time.Duration) *dedup {
	return &dedup{clock: c, capacity: capacity, ttl: ttl, seen: map[string]int64{}}
}

// add records id, stamped now. It reports false when id was already seen
// and has not expired.
func (d *dedup) add(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addAt(id, d.clock.Now().UnixNano())
}

// addAt records id at time t (unix nanoseconds); d.mu is held. It stays
// correct when t goes backwards (a wall clock set back).
func (d *dedup) addAt(id string, t int64) bool {
	d.expire(t)
	if exp, ok := d.seen[id]; ok && exp > t {
		return false
	}
	if d.order.Len() >= d.capacity {
		d.dropOldest()
		d.evicted++
	}
	exp := t + int64(d.ttl)
	d.seen[id] = exp
	d.order.Add(dedupEntry{id, exp})
	return true
}

// expire drops the oldest slots while they have expired.
func (d *dedup) expire(now int64) {
	for {
		e, ok := d.order.Front()
		if !ok || e.exp > now {
			return
		}
		d.dropOldest()
		d.expired++
	}
}

// dropOldest removes the oldest slot, and its id unless the id was
// stored again since.
func (d *dedup) dropOldest() {
	if e, ok := d.order.Front(); ok {
		if d.seen[e.id] == e.exp {
			delete(d.seen, e.id)
		}
		d.order.PopFront()
	}
}

func (d *dedup) stats() DedupStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DedupStats{Size: len(d.seen), Capacity: d.capacity, TTL: d.ttl, Evicted: d.evicted, Expired: d.expired}
}

func (d *dedup) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen = map[string]int64{}
	d.order.Reset()
}
