package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/store"
)

// Ocean returns where the Servers of namespace ns keep their state: the
// same for every replica on this Redis and prefix.
func (s *Store) Ocean(ns string) mockocean.Store { return oceanStore{s: s, prefix: s.nsPrefix(ns)} }

// oceanStore opens the Ocean state of one namespace.
type oceanStore struct {
	s      *Store
	prefix string
}

// Open returns the state of a Server configured by cfg, on Redis.
func (o oceanStore) Open(cfg mockocean.StateConfig) mockocean.State {
	s := o.s
	p := o.prefix + "ocean:"
	st := &oceanState{
		client: s.client, hot: s.hot, clock: s.clock, cfg: cfg, idleTTL: s.idleTTL.Milliseconds(),
		kDedup: p + "dedup", kDedupStats: p + "dedup:stats",
		kJournal: p + "journal", kJournalMeta: p + "journal:meta",
		kFaultIDs: p + "faults", kFaultDefs: p + "faults:defs", kFaultHits: p + "faults:hits", kFaultNext: p + "faults:next",
		changed: make(chan struct{}), rngs: map[string]*rand.Rand{}, realNow: time.Now,
	}
	st.batch.run = st.runBatch
	return st
}

// oceanState is a Server's state in Redis; see docs/sandbox.md for the
// keys.
type oceanState struct {
	client  *redis.Client
	hot     *redis.AutoPipeliner
	clock   *redisClock // the deadlines of the scripts that record
	cfg     mockocean.StateConfig
	idleTTL int64 // milliseconds

	kDedup, kDedupStats                           string
	kJournal, kJournalMeta                        string
	kFaultIDs, kFaultDefs, kFaultHits, kFaultNext string

	mu      sync.Mutex
	changed chan struct{} // closed when this process journals a request
	// rngs draw fault probabilities: each process draws its own sequence
	// from a rule's seed.
	rngs map[string]*rand.Rand

	// refreshAt is when this process next refreshes the keys' TTLs, in
	// nanoseconds of realNow (see keyRefresh).
	refreshAt atomic.Int64
	realNow   func() time.Time
	// batch sends this process's requests to Redis in batches.
	batch batcher
	// abandoned are the batches to withdraw (withdraw.go), under mu;
	// withdrawing is set while withdrawLoop runs.
	abandoned   []string
	withdrawing bool
}

// keyRefresh is how often each process refreshes the TTLs of the keys
// every request writes (the filter, the journal and their stats), and
// removes expired ids, instead of with every request: three PEXPIREs
// were a quarter of the script's cost. A key's TTL is therefore set to its
// lifetime plus two refresh periods, so it never lapses before what it
// holds: an id added just before a refresh is due expires at most
// keyRefresh after the TTL set by the refresh before. The TTLs are
// Redis's, in real time, so the period is timed by the real clock, not
// the sandbox's (which may be virtual or scaled). A key just created
// gets its TTL at once.
const keyRefresh = time.Minute

// refreshDue reports whether this batch refreshes the keys' TTLs, and
// if so, moves the next refresh a period on. Concurrent batches agree:
// one of them refreshes. A batch that fails makes the next one refresh
// (runBatch).
func (r *oceanState) refreshDue() bool {
	now := r.realNow().UnixNano()
	at := r.refreshAt.Load()
	return now >= at && r.refreshAt.CompareAndSwap(at, now+keyRefresh.Nanoseconds())
}

// journalSinceScript returns the journal entries numbered above ARGV[1]: the
// list holds consecutive numbers ending at received.
var journalSinceScript = redis.NewScript(`
local recv = tonumber(redis.call('HGET', KEYS[2], 'received') or '0')
local n = redis.call('LLEN', KEYS[1])
local idx = tonumber(ARGV[1]) + 1 - (recv - n + 1)
if idx < 0 then idx = 0 end
return redis.call('LRANGE', KEYS[1], idx, -1)
`)

// journalAtScript returns the journal entry numbered ARGV[1] (false when the
// journal no longer holds it): the list holds consecutive numbers ending
// at received.
var journalAtScript = redis.NewScript(`
local recv = tonumber(redis.call('HGET', KEYS[2], 'received') or '0')
local n = redis.call('LLEN', KEYS[1])
local idx = tonumber(ARGV[1]) - (recv - n + 1)
if idx < 0 or idx >= n then return false end
return redis.call('LINDEX', KEYS[1], idx)
`)

// Entry returns the journal entry seq, if the journal still holds it.
func (r *oceanState) Entry(ctx context.Context, seq uint64) (mockocean.Entry, bool, error) {
	s, err := journalAtScript.Run(ctx, r.client, []string{r.kJournal, r.kJournalMeta}, seq).Text()
	if errors.Is(err, redis.Nil) {
		return mockocean.Entry{}, false, nil
	}
	if err != nil {
		return mockocean.Entry{}, false, store.Unavailable("reading the journal", err)
	}
	e, err := decodeEntry(s)
	if errors.Is(err, errWithdrawnEntry) {
		return mockocean.Entry{}, false, nil
	}
	if err != nil {
		return mockocean.Entry{}, false, fmt.Errorf("reading the journal in redis: %w", err)
	}
	return e, e.Seq == seq, nil
}

// decodeEntry reads a journal list element, "SEQ SIZE DUP PAYLOAD".
func decodeEntry(s string) (mockocean.Entry, error) {
	seqText, rest, ok1 := strings.Cut(s, " ")
	_, rest, ok2 := strings.Cut(rest, " ")
	dup, payload, ok3 := strings.Cut(rest, " ")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if ok1 && ok2 && ok3 && err == nil && dup == "2" {
		return mockocean.Entry{Seq: seq}, errWithdrawnEntry
	}
	if !ok1 || !ok2 || !ok3 || err != nil || (dup != "0" && dup != "1") {
		return mockocean.Entry{}, fmt.Errorf("journal entry %.40q: not SEQ SIZE DUP PAYLOAD", s)
	}
	e, id, err := decodePayload(payload)
	if err != nil {
		return mockocean.Entry{}, fmt.Errorf("journal entry %d: %w", seq, err)
	}
	e.Seq = seq
	if dup == "1" {
		e.MarkDuplicate(id)
	}
	return e, nil
}

// errWithdrawnEntry is decodeEntry's answer for the tombstone of a
// request withdrawn after its caller got 503 (withdraw.go): readers skip
// it.
var errWithdrawnEntry = errors.New("withdrawn")

// dedupMember is what the filter remembers of id: 16 bytes of its
// SHA-256, the same on every replica.
func dedupMember(id string) string {
	h := sha256.Sum256([]byte(id))
	return string(h[:16])
}

// Record journals e through this process's batcher: with unlessFaults,
// in the same round trip as the check that no fault rule exists, which
// is what most requests need (one call to Redis instead of two).
func (r *oceanState) Record(_ context.Context, e mockocean.Entry, id string, unlessFaults bool) (journaled mockocean.Entry, fresh, faults bool, err error) {
	p := &pendingRecord{size: e.Size(), unlessFaults: unlessFaults, payload: encodeEntry(&e, id), at: r.cfg.Clock.Now().UnixMicro()}
	p.dupSize = p.size
	dup := e
	if id != "" {
		p.member = dedupMember(id)
		dup.MarkDuplicate(id)
		p.dupSize = dup.Size()
	}
	r.batch.do(p)
	if p.err != nil {
		return e, false, false, p.err
	}
	if p.faults {
		return e, false, true, nil // a fault rule exists: nothing recorded
	}
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if !p.fresh {
		e = dup
	}
	e.Seq = uint64(p.seq)
	return e, p.fresh, false, nil
}

// decodeEntries reads journal list elements.
func decodeEntries(raw []string) ([]mockocean.Entry, error) {
	out := make([]mockocean.Entry, 0, len(raw))
	for _, s := range raw {
		e, err := decodeEntry(s)
		if errors.Is(err, errWithdrawnEntry) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("reading the journal in redis: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Entries reads the whole journal.
func (r *oceanState) Entries(ctx context.Context) ([]mockocean.Entry, error) {
	raw, err := r.client.LRange(ctx, r.kJournal, 0, -1).Result()
	if err != nil {
		return nil, store.Unavailable("reading the journal", err)
	}
	return decodeEntries(raw)
}

// Newest reads the journal in view and keeps its newest matches: the
// journal lives in Redis, where reading it whole is one round trip.
func (r *oceanState) Newest(ctx context.Context, limit int, since uint64, keep func(*mockocean.Entry) bool) ([]mockocean.Entry, error) {
	out, err := r.Since(ctx, since)
	if err != nil {
		return nil, err
	}
	out = slices.DeleteFunc(out, func(e mockocean.Entry) bool { return keep != nil && !keep(&e) })
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// Since reads the entries numbered above seq.
func (r *oceanState) Since(ctx context.Context, seq uint64) ([]mockocean.Entry, error) {
	raw, err := journalSinceScript.Run(ctx, r.client, []string{r.kJournal, r.kJournalMeta}, seq).StringSlice()
	if err != nil {
		return nil, store.Unavailable("reading the journal", err)
	}
	return decodeEntries(raw)
}

// waitPoll is how often Wait asks Redis for the count of requests when
// no request journaled by this process woke it.
const waitPoll = 20 * time.Millisecond

// Wait wakes on this process's requests and polls Redis every waitPoll
// (on the clock) for the other replicas'.
func (r *oceanState) Wait(ctx context.Context, n int) error {
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		got, err := r.client.HGet(ctx, r.kJournalMeta, "received").Uint64()
		if errors.Is(err, redis.Nil) {
			got, err = 0, nil
		}
		if err == nil && got >= uint64(n) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Another replica's requests wake no one here: poll.
		tick := make(chan struct{})
		t := r.cfg.Clock.AfterFunc(waitPoll, func() { close(tick) })
		select {
		case <-ch:
		case <-tick:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

// changedPoll is how often Changed lets a reader look again: the
// requests of other replicas are not told to this process.
const changedPoll = 250 * time.Millisecond

// Changed closes after changedPoll on the clock.
func (r *oceanState) Changed() <-chan struct{} {
	ch := make(chan struct{})
	r.cfg.Clock.AfterFunc(changedPoll, func() { close(ch) })
	return ch
}

// JournalStats reads the journal's length and counts.
func (r *oceanState) JournalStats(ctx context.Context) (mockocean.JournalStats, error) {
	var llen *redis.IntCmd
	var meta *redis.MapStringStringCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		llen = p.LLen(ctx, r.kJournal)
		meta = p.HGetAll(ctx, r.kJournalMeta)
		return nil
	})
	if err != nil {
		return mockocean.JournalStats{}, store.Unavailable("reading the journal's stats", err)
	}
	m := meta.Val()
	num := func(k string) uint64 { n, _ := strconv.ParseUint(m[k], 10, 64); return n }
	return mockocean.JournalStats{Stored: int(llen.Val()), Received: num("received"), Evicted: num("evicted"), Capacity: r.cfg.JournalCapacity,
		Bytes: int64(num("bytes")), MaxBytes: r.cfg.JournalMaxBytes}, nil
}

// ResetJournal deletes the journal and its counts.
func (r *oceanState) ResetJournal(ctx context.Context) error {
	if err := r.client.Del(ctx, r.kJournal, r.kJournalMeta).Err(); err != nil {
		return store.Unavailable("resetting the journal", err)
	}
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// redisDedupBytesPerID is what Redis holds for a remembered id in the
// filter's sorted set (a 16-byte member and its score, in the skiplist
// and the dict), measured with INFO memory; see docs/sandbox.md.
const redisDedupBytesPerID = 128

// dedupStatsScript removes the expired ids (KEYS[1]; ARGV[1] is now, in
// µs), counts them in the stats hash (KEYS[2], whose TTL becomes ARGV[2]
// ms), and returns the ids left, then the hash's evicted and expired.
var dedupStatsScript = redis.NewScript(`
local gone = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if gone > 0 then
  redis.call('HINCRBY', KEYS[2], 'expired', gone)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
local st = redis.call('HMGET', KEYS[2], 'evicted', 'expired')
return {redis.call('ZCARD', KEYS[1]), tonumber(st[1] or '0'), tonumber(st[2] or '0')}
`)

// DedupStats counts the remembered ids, after removing the expired ones.
func (r *oceanState) DedupStats(ctx context.Context) (mockocean.DedupStats, error) {
	res, err := dedupStatsScript.Run(ctx, r.client, []string{r.kDedup, r.kDedupStats}, r.cfg.Clock.Now().UnixMicro(),
		r.idleTTL+2*keyRefresh.Milliseconds()).Int64Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("script answered %v", res)
	}
	if err != nil {
		return mockocean.DedupStats{}, store.Unavailable("reading the duplicate filter's stats", err)
	}
	return mockocean.DedupStats{Size: int(res[0]), Capacity: r.cfg.DedupCapacity, TTL: r.cfg.DedupTTL, Evicted: uint64(res[1]), Expired: uint64(res[2]),
		Bytes: res[0] * redisDedupBytesPerID}, nil
}

// ResetDedup deletes the filter.
func (r *oceanState) ResetDedup(ctx context.Context) error {
	if err := r.client.Del(ctx, r.kDedup).Err(); err != nil {
		return store.Unavailable("resetting the duplicate filter", err)
	}
	return nil
}

// Ping asks Redis.
func (r *oceanState) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return store.Unavailable("redis ping", err)
	}
	return nil
}

// faultsScript returns the rules in order: id, definition, hits, ….
var faultsScript = redis.NewScript(`
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
local defs = redis.call('HMGET', KEYS[2], unpack(ids))
local hits = redis.call('HMGET', KEYS[3], unpack(ids))
local out = {}
for i, id in ipairs(ids) do
  out[#out+1] = id
  out[#out+1] = defs[i] or ''
  out[#out+1] = hits[i] or '0'
end
return out
`)

// faultHitScript counts a hit of rule ARGV[1] unless it has answered its
// ARGV[2] times (0: no limit) or is gone; it returns 1 when counted, -2
// when it started past the deadline ARGV[4] (µs of Redis's TIME;
// deadline.go) and did nothing.
var faultHitScript = redis.NewScript(`
local t = redis.call('TIME')
if tonumber(t[1]) * 1000000 + tonumber(t[2]) > tonumber(ARGV[4]) then return -2 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local times = tonumber(ARGV[2])
local hits = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if times > 0 and hits >= times then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`)

// addFaultScript adds a rule; ARGV: id ("" to number one), definition,
// idle TTL. It returns {added, id}.
var addFaultScript = redis.NewScript(`
local id = ARGV[1]
local next = redis.call('INCR', KEYS[4])
if id == '' then id = 'f' .. next end
if redis.call('HEXISTS', KEYS[2], id) == 1 then return {0, id} end
redis.call('RPUSH', KEYS[1], id)
redis.call('HSET', KEYS[2], id, ARGV[2])
redis.call('HDEL', KEYS[3], id)
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return {1, id}
`)

var removeFaultScript = redis.NewScript(`
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return redis.call('HDEL', KEYS[2], ARGV[1])
`)

func (r *oceanState) faultKeys() []string {
	return []string{r.kFaultIDs, r.kFaultDefs, r.kFaultHits, r.kFaultNext}
}

// Faults reads the rules, in order, with their hits.
func (r *oceanState) Faults(ctx context.Context) ([]mockocean.Fault, error) {
	raw, err := faultsScript.Run(ctx, r.hot, r.faultKeys()[:3]).StringSlice()
	if err != nil {
		return nil, store.Unavailable("reading the fault rules", err)
	}
	out := make([]mockocean.Fault, 0, len(raw)/3)
	for i := 0; i+2 < len(raw); i += 3 {
		var f mockocean.Fault
		if err := json.Unmarshal([]byte(raw[i+1]), &f); err != nil {
			continue // removed between the reads
		}
		f.ID = raw[i]
		f.Hits, _ = strconv.Atoi(raw[i+2])
		out = append(out, f)
	}
	return out, nil
}

// PickFault reads the rules and claims a hit of the first that matches
// and fires: when another replica took its last one meanwhile, the next.
func (r *oceanState) PickFault(ctx context.Context, api string, values map[string]string) (mockocean.Fault, bool, error) {
	// Most requests meet no rule: a plain EXISTS costs Redis less than
	// the script that reads the rules.
	n, err := r.hot.Exists(ctx, r.kFaultIDs).Result()
	if err != nil {
		return mockocean.Fault{}, false, store.Unavailable("reading the fault rules", err)
	}
	if n == 0 {
		return mockocean.Fault{}, false, nil
	}
	rules, err := r.Faults(ctx)
	if err != nil || len(rules) == 0 {
		return mockocean.Fault{}, false, err
	}
	for _, f := range rules {
		if f.Times > 0 && f.Hits >= f.Times {
			continue
		}
		if !f.Matches(api, values) {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && r.draw(f) >= f.Probability {
			continue
		}
		deadline, err := r.clock.deadline(ctx)
		if err != nil {
			return mockocean.Fault{}, false, err
		}
		n, err := faultHitScript.Run(ctx, r.hot, []string{r.kFaultDefs, r.kFaultHits}, f.ID, f.Times, r.idleTTL, deadline).Int()
		if err == nil && n == -2 {
			err = errPastDeadline
		}
		if err != nil {
			return mockocean.Fault{}, false, store.Unavailable("counting a fault rule's hit", err)
		}
		if n == 1 { // another replica may have used up its times since the read
			f.Hits++
			return f, true, nil
		}
	}
	return mockocean.Fault{}, false, nil
}

// draw returns the next number of f's generator in this process.
func (r *oceanState) draw(f mockocean.Fault) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.rngs[f.ID]
	if !ok {
		g = f.ProbabilityStream()
		r.rngs[f.ID] = g
	}
	return g.Float64()
}

// AddFault stores a rule, numbering it when its ID is empty.
func (r *oceanState) AddFault(ctx context.Context, f mockocean.Fault) (mockocean.Fault, error) {
	def, err := json.Marshal(f)
	if err != nil {
		return mockocean.Fault{}, fmt.Errorf("fault: %w", err)
	}
	res, err := addFaultScript.Run(ctx, r.client, r.faultKeys(), f.ID, def, r.idleTTL).Slice()
	if err != nil || len(res) != 2 {
		return mockocean.Fault{}, store.Unavailable("storing a fault rule", err)
	}
	id, _ := res[1].(string)
	if added, _ := res[0].(int64); added == 0 {
		return mockocean.Fault{}, fmt.Errorf("fault: field id: %q is already in use", id)
	}
	f.ID = id
	r.mu.Lock()
	delete(r.rngs, id) // a rule added again starts its sequence again
	r.mu.Unlock()
	return f, nil
}

// RemoveFault deletes a rule and its hits.
func (r *oceanState) RemoveFault(ctx context.Context, id string) (bool, error) {
	n, err := removeFaultScript.Run(ctx, r.client, r.faultKeys()[:3], id).Int()
	if err != nil {
		return false, store.Unavailable("removing a fault rule", err)
	}
	return n > 0, nil
}

// ClearFaults deletes every rule.
func (r *oceanState) ClearFaults(ctx context.Context) error {
	if err := r.client.Del(ctx, r.kFaultIDs, r.kFaultDefs, r.kFaultHits).Err(); err != nil {
		return store.Unavailable("clearing the fault rules", err)
	}
	return nil
}

var (
	_ mockocean.Store = oceanStore{}
	_ mockocean.State = (*oceanState)(nil)
)
