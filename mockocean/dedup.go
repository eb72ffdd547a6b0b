package mockocean

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/ring"
	"github.com/postbacksim/postbacksim/store"
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
// An id is remembered by a 128-bit keyed hash of it, not its text: a
// map slot and a ring slot of fixed size, whatever the id's length
// (50 to 80 bytes an id instead of 130 for a UUID kept as text; see
// BenchmarkDedupMemory). The keys are drawn at random per filter, so no
// one can make two ids collide on purpose, and by chance two of a
// million ids collide with a probability near 10⁻²⁷. The ring never
// copies as it grows (package ring).
type dedup struct {
	mu       sync.Mutex
	clock    clock.Clock
	capacity int
	ttl      time.Duration
	seeds    [2]maphash.Seed
	seen     map[dedupKey]int64      // id → expiry, unix nanoseconds
	order    ring.Buffer[dedupEntry] // ids in the order stored
	evicted  uint64                  // ids dropped for capacity (and the sandbox's budget)
	expired  uint64                  // ids dropped for age
	budget   *store.Budget           // charged dedupBytesPerID an id; evicts the oldest
}

// dedupKey stands for an id: two 64-bit hashes of it, keyed apart.
type dedupKey [2]uint64

// dedupEntry is a ring slot: an id and the expiry it was stored with.
type dedupEntry struct {
	key dedupKey
	exp int64
}

// dedupBytesPerID is what the filter accounts for each id it remembers:
// a ring slot (24 bytes) and a map slot with its share of the table
// (24 to 56 bytes as the table fills and splits, and the growth's
// leftovers): 79.9 bytes on average, measured by BenchmarkDedupMemory.
const dedupBytesPerID = 80

func (d *dedup) key(id string) dedupKey {
	return dedupKey{maphash.String(d.seeds[0], id), maphash.String(d.seeds[1], id)}
}

// DedupStats describes the duplicate filter's state.
type DedupStats struct {
	Size     int           `json:"size"`
	Capacity int           `json:"capacity"`
	TTL      time.Duration `json:"ttl_ns"`
	Evicted  uint64        `json:"evicted"`
	Expired  uint64        `json:"expired"`
	// Bytes is the memory the remembered ids account for.
	Bytes int64 `json:"bytes"`
}

func newDedup(c clock.Clock, capacity int, ttl time.Duration, budget *store.Budget) *dedup {
	return &dedup{clock: c, capacity: capacity, ttl: ttl, seen: map[dedupKey]int64{}, budget: budget,
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// add records id, stamped now. It reports false when id was already seen
// and has not expired.
func (d *dedup) add(id string) bool {
	key := d.key(id) // outside the lock, which every conversion takes
	d.mu.Lock()
	before := d.order.Len()
	fresh := d.addAt(key, d.clock.Now().UnixNano()) // stamped under the lock: the ring stays in time order
	delta := int64(d.order.Len()-before) * dedupBytesPerID
	d.mu.Unlock()
	d.budget.Charge(delta)
	return fresh
}

// Oldest is when the oldest remembered id was stored, for the sandbox's
// budget.
func (d *dedup) Oldest() (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.order.Front(); ok {
		return e.exp - int64(d.ttl), true
	}
	return 0, false
}

// EvictOldest forgets the oldest id for the sandbox's budget.
func (d *dedup) EvictOldest() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.order.Len() == 0 {
		return 0
	}
	d.dropOldest()
	d.evicted++
	return dedupBytesPerID
}

// addAt records id at time t (unix nanoseconds); d.mu is held. It stays
// correct when t goes backwards (a wall clock set back).
func (d *dedup) addAt(id dedupKey, t int64) bool {
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
		if d.seen[e.key] == e.exp {
			delete(d.seen, e.key)
		}
		d.order.PopFront()
	}
}

func (d *dedup) stats() DedupStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DedupStats{Size: len(d.seen), Capacity: d.capacity, TTL: d.ttl, Evicted: d.evicted, Expired: d.expired,
		Bytes: int64(d.order.Len()) * dedupBytesPerID}
}

func (d *dedup) reset() {
	d.mu.Lock()
	freed := int64(d.order.Len()) * dedupBytesPerID
	d.seen = map[dedupKey]int64{}
	d.order.Reset()
	d.mu.Unlock()
	d.budget.Charge(-freed)
}
