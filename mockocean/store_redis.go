package mockocean

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts every key a Redis store writes.
const DefaultRedisPrefix = "postbacksim:"

// DefaultRedisIdleTTL is how long a namespace's keys outlive its last
// write: an abandoned sandbox does not grow Redis for ever.
const DefaultRedisIdleTTL = 7 * 24 * time.Hour

// RedisOptions configures NewRedisStore.
type RedisOptions struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS.
	URL string
	// Prefix starts every key; empty means DefaultRedisPrefix.
	Prefix string
	// IdleTTL is how long a namespace's journal and fault rules are kept
	// after their last change; 0 means DefaultRedisIdleTTL. (Remembered
	// outer_event_ids are kept for the duplicate filter's TTL.) The
	// sandbox keeps its own keys on the store as long: the namespaces,
	// their postback configurations and deliveries.
	IdleTTL time.Duration
}

// RedisStore keeps Servers' state in Redis: every Server opened on the
// same Redis, prefix and namespace shares one duplicate filter (an
// outer_event_id is accepted exactly once across them), one journal and
// one set of fault rules (a rule's times are counted once across them).
// Keys are named in docs/sandbox.md. It is safe for concurrent use.
type RedisStore struct {
	client *redis.Client
	// hot sends the fault rules' look-ups and claims: concurrent
	// requests' commands go to Redis together, in one write (a lone one is
	// sent at once). Recording a request goes through its state's batcher.
	hot     *redis.AutoPipeliner
	prefix  string // the keys' prefix, with the namespace's tag
	base    string // the prefix given, without a namespace
	idleTTL time.Duration
}

// NewRedisStore connects to the Redis named by o.URL lazily: it checks
// the URL, not that Redis answers (Ping does). The store of the default
// namespace is the one returned; Namespace gives the others. A URL it
// refuses is a *RedisURLError.
func NewRedisStore(o RedisOptions) (*RedisStore, error) {
	if err := CheckRedisURL(o.URL); err != nil {
		return nil, err
	}
	opt, err := redis.ParseURL(o.URL)
	if err != nil { // CheckRedisURL has seen this error; a guard
		return nil, &RedisURLError{URL: RedactRedisURL(o.URL), Problem: strings.TrimPrefix(err.Error(), "redis: ")}
	}
	// No retries: a script that timed out may have run, and running it
	// again would answer a duplicate to a request seen once. The client
	// gets HTTP 503 and retries itself.
	opt.MaxRetries = -1
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	opt.PoolSize = max(opt.PoolSize, 128)
	if opt.Protocol == 0 {
		// RESP2 unless the URL asks (?protocol=3): the store uses nothing
		// of RESP3, and go-redis then skips its look for push
		// notifications before every reply, a tenth of its cost per call.
		opt.Protocol = 2
	}
	if o.Prefix == "" {
		o.Prefix = DefaultRedisPrefix
	}
	if o.IdleTTL <= 0 {
		o.IdleTTL = DefaultRedisIdleTTL
	}
	s := &RedisStore{client: redis.NewClient(opt), base: o.Prefix, idleTTL: o.IdleTTL}
	ap, err := s.client.AutoPipeline()
	if err != nil {
		_ = s.client.Close()
		return nil, fmt.Errorf("store %s: pipelining: %w", RedactRedisURL(o.URL), err)
	}
	s.hot = ap
	s.prefix = s.nsPrefix("default")
	return s, nil
}

// RedisURLForm is the form of the URL NewRedisStore takes, for messages.
const RedisURLForm = "redis://[USER:PASSWORD@]HOST:PORT/DB (rediss:// for TLS)"

// RedisURLError is a Redis URL NewRedisStore refuses: what is wrong with
// it and, when the fix is plain, the URL that was probably meant.
type RedisURLError struct {
	// URL is the URL as given, its password hidden (RedactRedisURL).
	URL string
	// Problem says what is wrong: "no host", "not a URL (no redis://)"…
	Problem string
	// Suggest is the URL probably meant (redis://127.0.0.1:6379/0 for
	// 127.0.0.1:6379), or empty.
	Suggest string
}

func (e *RedisURLError) Error() string {
	msg := fmt.Sprintf("store %q: %s; want %s", e.URL, e.Problem, RedisURLForm)
	if e.Suggest != "" {
		msg += "; did you mean " + e.Suggest + "?"
	}
	return msg
}

// CheckRedisURL reports whether NewRedisStore takes u, without
// connecting: nil, or a *RedisURLError saying what is wrong.
func CheckRedisURL(u string) error {
	bad := func(problem, suggest string) error {
		return &RedisURLError{URL: RedactRedisURL(u), Problem: problem, Suggest: suggest}
	}
	p, err := url.Parse(u)
	scheme, host := "", ""
	if err == nil {
		scheme, host = p.Scheme, p.Host
	}
	switch {
	case (scheme != "redis" && scheme != "rediss" || host == "") && looksHostPort(u):
		// 127.0.0.1:6379, or redis:6379 (a host named redis): the
		// scheme was left out.
		return bad("not a URL (no redis://)", "redis://"+u+"/0")
	case err != nil || scheme == "":
		return bad("not a URL", "")
	case p.Opaque != "" && scheme != "redis" && scheme != "rediss": // user:password@host:port
		return bad("not a URL (no redis://)", "")
	case scheme != "redis" && scheme != "rediss":
		suggest := ""
		if host != "" && p.User == nil {
			suggest = "redis://" + host + "/0"
		}
		return bad(fmt.Sprintf("scheme %q is not redis or rediss", scheme), suggest)
	case host == "":
		return bad("no host", "")
	}
	if _, err := redis.ParseURL(u); err != nil {
		return bad(strings.TrimPrefix(err.Error(), "redis: "), "")
	}
	return nil
}

// looksHostPort reports whether s is HOST:PORT alone, a numeric port
// after a host name or address.
func looksHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || strings.ContainsAny(host, "/@?#") {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// RedactRedisURL is u as messages and the log show it: its password, if
// any, hidden, even when u does not parse as a URL (then what sits
// between the first ':' after the scheme and the last '@' is hidden).
func RedactRedisURL(u string) string {
	p, err := url.Parse(u)
	if err == nil && p.User != nil {
		return p.Redacted()
	}
	if err == nil && p.Opaque == "" {
		return u // no user information: nothing to hide
	}
	at := strings.LastIndex(u, "@")
	if at < 0 {
		return u
	}
	start := 0
	if i := strings.Index(u[:at], "://"); i >= 0 {
		start = i + len("://")
	}
	colon := strings.Index(u[start:at], ":")
	if colon < 0 {
		return u // a user name without a password
	}
	return u[:start+colon+1] + "xxxxx" + u[at:]
}

// nsPrefix is the prefix of namespace name's keys. The name is a Redis
// Cluster hash tag, so each namespace's keys share a slot.
func (s *RedisStore) nsPrefix(name string) string { return s.base + "{" + name + "}:" }

// Namespace returns the store of namespace name: the same connection,
// keys of its own.
func (s *RedisStore) Namespace(name string) Store {
	c := *s
	c.prefix = s.nsPrefix(name)
	return &c
}

// Ping reports whether Redis answers.
func (s *RedisStore) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return unavailable("redis ping", err)
	}
	return nil
}

// Close closes the connections; the stores of every namespace share
// them.
func (s *RedisStore) Close() error { return s.client.Close() }

// Prefix is the prefix of this namespace's keys.
func (s *RedisStore) Prefix() string { return s.prefix }

// Client is the connection the store uses, shared by every namespace's
// store: the sandbox keeps the impact.com state on it too.
func (s *RedisStore) Client() *redis.Client { return s.client }

// IdleTTL is how long a namespace's keys outlive their last change.
func (s *RedisStore) IdleTTL() time.Duration { return s.idleTTL }

func (s *RedisStore) open(cfg Config, materialize func(*entry) Request) oceanState {
	p := s.prefix + "ocean:"
	st := &redisState{
		client: s.client, hot: s.hot, cfg: cfg, materialize: materialize, idleTTL: s.idleTTL.Milliseconds(),
		kDedup: p + "dedup", kDedupStats: p + "dedup:stats",
		kJournal: p + "journal", kJournalMeta: p + "journal:meta",
		kFaultIDs: p + "faults", kFaultDefs: p + "faults:defs", kFaultHits: p + "faults:hits", kFaultNext: p + "faults:next",
		changed: make(chan struct{}), rngs: map[string]*rand.Rand{}, realNow: time.Now,
	}
	st.batch.run = st.runBatch
	return st
}

// redisState is a Server's state in Redis; see docs/sandbox.md for the
// keys.
type redisState struct {
	client      *redis.Client
	hot         *redis.AutoPipeliner
	cfg         Config
	materialize func(*entry) Request
	idleTTL     int64 // milliseconds

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
func (r *redisState) refreshDue() bool {
	now := r.realNow().UnixNano()
	at := r.refreshAt.Load()
	return now >= at && r.refreshAt.CompareAndSwap(at, now+keyRefresh.Nanoseconds())
}

// sinceScript returns the journal entries numbered above ARGV[1]: the
// list holds consecutive numbers ending at received.
var sinceScript = redis.NewScript(`
local recv = tonumber(redis.call('HGET', KEYS[2], 'received') or '0')
local n = redis.call('LLEN', KEYS[1])
local idx = tonumber(ARGV[1]) + 1 - (recv - n + 1)
if idx < 0 then idx = 0 end
return redis.call('LRANGE', KEYS[1], idx, -1)
`)

// atScript returns the journal entry numbered ARGV[1] (false when the
// journal no longer holds it): the list holds consecutive numbers ending
// at received.
var atScript = redis.NewScript(`
local recv = tonumber(redis.call('HGET', KEYS[2], 'received') or '0')
local n = redis.call('LLEN', KEYS[1])
local idx = tonumber(ARGV[1]) - (recv - n + 1)
if idx < 0 or idx >= n then return false end
return redis.call('LINDEX', KEYS[1], idx)
`)

// received returns the journal entry seq as received.
func (r *redisState) received(ctx context.Context, seq uint64) (Raw, bool) {
	s, err := atScript.Run(ctx, r.client, []string{r.kJournal, r.kJournalMeta}, seq).Text()
	if err != nil {
		return Raw{}, false
	}
	e, err := decodeEntry(s)
	if err != nil || e.seq != seq {
		return Raw{}, false
	}
	return e.raw, true
}

// decodeEntry reads a journal list element, "SEQ SIZE DUP PAYLOAD".
func decodeEntry(s string) (entry, error) {
	seqText, rest, ok1 := strings.Cut(s, " ")
	_, rest, ok2 := strings.Cut(rest, " ")
	dup, payload, ok3 := strings.Cut(rest, " ")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok1 || !ok2 || !ok3 || err != nil || (dup != "0" && dup != "1") {
		return entry{}, fmt.Errorf("journal entry %.40q: not SEQ SIZE DUP PAYLOAD", s)
	}
	e, id, err := decodePayload(payload)
	if err != nil {
		return entry{}, fmt.Errorf("journal entry %d: %w", seq, err)
	}
	e.seq = seq
	if dup == "1" {
		markDuplicate(&e, id)
	}
	return e, nil
}

// dedupMember is what the filter remembers of id: 16 bytes of its
// SHA-256, the same on every replica.
func dedupMember(id string) string {
	h := sha256.Sum256([]byte(id))
	return string(h[:16])
}

func (r *redisState) record(ctx context.Context, e entry, id string) (entry, bool, error) {
	e, fresh, _, err := r.runRecord(ctx, e, id, false)
	return e, fresh, err
}

// recordUnlessFaults is record in the same round trip as the check that
// no fault rule exists: what most requests need, at one call to Redis
// instead of two. When a rule exists it records nothing, and says so.
func (r *redisState) recordUnlessFaults(ctx context.Context, e entry, id string) (entry, bool, bool, error) {
	return r.runRecord(ctx, e, id, true)
}

func (r *redisState) runRecord(_ context.Context, e entry, id string, unlessFaults bool) (journaled entry, fresh, faults bool, err error) {
	p := &pendingRecord{size: e.size(), unlessFaults: unlessFaults, payload: encodeEntry(&e, id), at: r.cfg.Clock.Now().UnixMicro()}
	p.dupSize = p.size
	if id != "" {
		p.member = dedupMember(id)
		dup := e
		markDuplicate(&dup, id)
		p.dupSize = dup.size()
	}
	r.batch.do(p)
	if p.err != nil {
		return e, false, false, p.err
	}
	if p.faults {
		return e, false, true, nil // a fault rule exists: nothing recorded
	}
	e.seq = uint64(p.seq)
	if !p.fresh {
		markDuplicate(&e, id)
	}
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	return e, p.fresh, false, nil
}

func (r *redisState) entries(ctx context.Context, raw []string) ([]Request, error) {
	out := make([]Request, 0, len(raw))
	for _, s := range raw {
		e, err := decodeEntry(s)
		if err != nil {
			return out, fmt.Errorf("reading the journal in redis: %w", err)
		}
		out = append(out, r.materialize(&e))
	}
	return out, nil
}

func (r *redisState) snapshot(ctx context.Context, keep func(*Request) bool) ([]Request, error) {
	raw, err := r.client.LRange(ctx, r.kJournal, 0, -1).Result()
	if err != nil {
		return nil, unavailable("reading the journal", err)
	}
	all, err := r.entries(ctx, raw)
	if keep == nil {
		return all, err
	}
	out := all[:0]
	for i := range all {
		if keep(&all[i]) {
			out = append(out, all[i])
		}
	}
	return out, err
}

// newest reads the journal in view and keeps its newest matches: the
// journal lives in Redis, where reading it whole is one round trip.
func (r *redisState) newest(ctx context.Context, limit int, since uint64, keep func(*Request) bool) ([]Request, error) {
	out, err := r.since(ctx, since)
	out = slices.DeleteFunc(out, func(q Request) bool { return keep != nil && !keep(&q) })
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, err
}

func (r *redisState) since(ctx context.Context, seq uint64) ([]Request, error) {
	raw, err := sinceScript.Run(ctx, r.client, []string{r.kJournal, r.kJournalMeta}, seq).StringSlice()
	if err != nil {
		return nil, unavailable("reading the journal", err)
	}
	return r.entries(ctx, raw)
}

// waitPoll is how often wait asks Redis for the count of requests when
// no request journaled by this process woke it.
const waitPoll = 20 * time.Millisecond

func (r *redisState) wait(ctx context.Context, n int) error {
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

func (r *redisState) journalStats(ctx context.Context) (JournalStats, error) {
	var llen *redis.IntCmd
	var meta *redis.MapStringStringCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		llen = p.LLen(ctx, r.kJournal)
		meta = p.HGetAll(ctx, r.kJournalMeta)
		return nil
	})
	if err != nil {
		return JournalStats{}, unavailable("reading the journal's stats", err)
	}
	m := meta.Val()
	num := func(k string) uint64 { n, _ := strconv.ParseUint(m[k], 10, 64); return n }
	return JournalStats{Stored: int(llen.Val()), Received: num("received"), Evicted: num("evicted"), Capacity: r.cfg.JournalCapacity,
		Bytes: int64(num("bytes")), MaxBytes: r.cfg.JournalMaxBytes}, nil
}

func (r *redisState) resetJournal(ctx context.Context) error {
	if err := r.client.Del(ctx, r.kJournal, r.kJournalMeta).Err(); err != nil {
		return unavailable("resetting the journal", err)
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

func (r *redisState) dedupStats(ctx context.Context) (DedupStats, error) {
	res, err := dedupStatsScript.Run(ctx, r.client, []string{r.kDedup, r.kDedupStats}, r.cfg.Clock.Now().UnixMicro(),
		r.idleTTL+2*keyRefresh.Milliseconds()).Int64Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("script answered %v", res)
	}
	if err != nil {
		return DedupStats{}, unavailable("reading the duplicate filter's stats", err)
	}
	return DedupStats{Size: int(res[0]), Capacity: r.cfg.DedupCapacity, TTL: r.cfg.DedupTTL, Evicted: uint64(res[1]), Expired: uint64(res[2]),
		Bytes: res[0] * redisDedupBytesPerID}, nil
}

func (r *redisState) resetDedup(ctx context.Context) error {
	if err := r.client.Del(ctx, r.kDedup).Err(); err != nil {
		return unavailable("resetting the duplicate filter", err)
	}
	return nil
}

func (r *redisState) ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return unavailable("redis ping", err)
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

// claimScript counts a hit of rule ARGV[1] unless it has answered its
// ARGV[2] times (0: no limit) or is gone; it returns 1 when counted.
var claimScript = redis.NewScript(`
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

func (r *redisState) faultKeys() []string {
	return []string{r.kFaultIDs, r.kFaultDefs, r.kFaultHits, r.kFaultNext}
}

func (r *redisState) listFaults(ctx context.Context) ([]Fault, error) {
	raw, err := faultsScript.Run(ctx, r.hot, r.faultKeys()[:3]).StringSlice()
	if err != nil {
		return nil, unavailable("reading the fault rules", err)
	}
	out := make([]Fault, 0, len(raw)/3)
	for i := 0; i+2 < len(raw); i += 3 {
		var f Fault
		if err := json.Unmarshal([]byte(raw[i+1]), &f); err != nil {
			continue // removed between the reads
		}
		f.ID = raw[i]
		f.Hits, _ = strconv.Atoi(raw[i+2])
		out = append(out, f)
	}
	return out, nil
}

func (r *redisState) pickFault(ctx context.Context, values map[string]string) (Fault, bool, error) {
	// Most requests meet no rule: a plain EXISTS costs Redis less than
	// the script that reads the rules.
	n, err := r.hot.Exists(ctx, r.kFaultIDs).Result()
	if err != nil {
		return Fault{}, false, unavailable("reading the fault rules", err)
	}
	if n == 0 {
		return Fault{}, false, nil
	}
	rules, err := r.listFaults(ctx)
	if err != nil || len(rules) == 0 {
		return Fault{}, false, err
	}
	for _, f := range rules {
		if f.Times > 0 && f.Hits >= f.Times {
			continue
		}
		if !matches(f.Match, values) {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && r.draw(f) >= f.Probability {
			continue
		}
		ok, err := claimScript.Run(ctx, r.hot, []string{r.kFaultDefs, r.kFaultHits}, f.ID, f.Times, r.idleTTL).Bool()
		if err != nil {
			return Fault{}, false, unavailable("counting a fault rule's hit", err)
		}
		if ok { // another replica may have used up its times since the read
			f.Hits++
			return f, true, nil
		}
	}
	return Fault{}, false, nil
}

// draw returns the next number of f's generator in this process.
func (r *redisState) draw(f Fault) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.rngs[f.ID]
	if !ok {
		g = rand.New(rand.NewPCG(f.Seed, 0x6f6365616e))
		r.rngs[f.ID] = g
	}
	return g.Float64()
}

func (r *redisState) addFault(ctx context.Context, f Fault) (Fault, error) {
	def, err := json.Marshal(f)
	if err != nil {
		return Fault{}, fmt.Errorf("fault: %w", err)
	}
	res, err := addFaultScript.Run(ctx, r.client, r.faultKeys(), f.ID, def, r.idleTTL).Slice()
	if err != nil || len(res) != 2 {
		return Fault{}, unavailable("storing a fault rule", err)
	}
	id, _ := res[1].(string)
	if added, _ := res[0].(int64); added == 0 {
		return Fault{}, fmt.Errorf("fault: field id: %q is already in use", id)
	}
	f.ID = id
	r.mu.Lock()
	delete(r.rngs, id) // a rule added again starts its sequence again
	r.mu.Unlock()
	return f, nil
}

func (r *redisState) removeFault(ctx context.Context, id string) (bool, error) {
	n, err := removeFaultScript.Run(ctx, r.client, r.faultKeys()[:3], id).Int()
	if err != nil {
		return false, unavailable("removing a fault rule", err)
	}
	return n > 0, nil
}

func (r *redisState) clearFaults(ctx context.Context) error {
	if err := r.client.Del(ctx, r.kFaultIDs, r.kFaultDefs, r.kFaultHits).Err(); err != nil {
		return unavailable("clearing the fault rules", err)
	}
	return nil
}
