package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/store"
)

// ImpactDeliveries returns namespace's impact deliveries, shared by every
// dispatcher that opens them (one per replica): the pending attempts are
// a sorted set of due times (PREFIX{NS}:impact:due, the dispatcher
// clock's UnixMilli), each claimed by one replica at a time with a lease
// key (SET NX PX), the deliveries and their attempts in a hash, their
// order in a list. Any dispatcher sends an attempt when it is due,
// exactly once while the replicas live; a replica killed loses nothing:
// the attempts it claimed are sent by another once their lease ends. Its
// Stop leaves the pending deliveries to the other replicas. The keys are
// kept the store's idle TTL after their last change.
//
// Ties of due times are ordered by delivery ID. Give it to the
// namespace's dispatcher as mockimpact.Options.Deliveries.
func (s *Store) ImpactDeliveries(namespace string, o mockimpact.ScheduleOptions) mockimpact.DeliveryStore {
	if o.Replica == "" {
		o.Replica = "replica"
	}
	if o.Lease <= 0 {
		o.Lease = mockimpact.DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = mockimpact.DefaultPoll
	}
	o.Scale = max(o.Scale, 1)
	prefix := s.nsPrefix(namespace) + "impact:"
	return &deliveries{client: s.client, prefix: prefix, kDue: prefix + "due", kDeliveries: prefix + "deliveries",
		kOrder: prefix + "order", kStats: prefix + "stats", kSeq: prefix + "seq", kClaims: prefix + "claims",
		claimer: o.Replica + "\n" + strconv.FormatUint(rand.Uint64(), 36),
		replica: o.Replica, lease: o.Lease, ttl: s.idleTTL,
		sharing: mockimpact.Sharing{Replica: o.Replica, Lease: time.Duration(float64(o.Lease) * o.Scale), Poll: time.Duration(float64(o.Poll) * o.Scale)}}
}

var _ mockimpact.DeliveryStore = (*deliveries)(nil)

// deliveries is a mockimpact.DeliveryStore in Redis (ImpactDeliveries).
type deliveries struct {
	client               *redis.Client
	prefix               string
	kDue, kDeliveries    string
	kOrder, kStats, kSeq string
	kClaims              string
	claimer              string // the claims hash's entry for this process
	replica              string
	lease, ttl           time.Duration      // wall time
	sharing              mockimpact.Sharing // the lease and the poll on the dispatcher's clock
}

func (s *deliveries) leaseKey(id string) string { return s.prefix + "lease:" + id }

// Sharing names the replica and says the lease and the poll on the
// dispatcher's clock.
func (s *deliveries) Sharing() mockimpact.Sharing { return s.sharing }

// addScript stores a new delivery and schedules its first attempt.
//
// KEYS: deliveries, due, order. ARGV: 1 id, 2 record, 3 due (ms), 4 TTL (ms, 0: none).
var addScript = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[1])
if tonumber(ARGV[4]) > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
end
return 1
`)

// NextID numbers a new delivery across the replicas.
func (s *deliveries) NextID(ctx context.Context) (string, error) {
	n, err := s.client.Incr(ctx, s.kSeq).Result()
	if err != nil {
		return "", store.Unavailable("numbering a delivery", err)
	}
	return fmt.Sprintf("d%06d", n), nil
}

// Add stores d and schedules its first attempt.
func (s *deliveries) Add(ctx context.Context, d *mockimpact.StoredDelivery) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("delivery %s: encoding: %w", d.ID, err)
	}
	if err := addScript.Run(ctx, s.client, []string{s.kDeliveries, s.kDue, s.kOrder}, d.ID, b, d.Scheduled.UnixMilli(), s.ttl.Milliseconds()).Err(); err != nil {
		return store.Unavailable("scheduling delivery "+d.ID, err)
	}
	return nil
}

// claimScript takes up to ARGV[4] attempts due at ARGV[1] (ms) whose
// lease is free: each gets a lease key (SET NX PX) naming the replica,
// and its due time moves to the lease's end, when another replica may
// take it over if this one has not finished it. It returns the ids
// claimed, then the earliest due time left in the schedule (” when it
// is empty), so that the dispatcher arms its timer exactly then.
//
// The claims hash remembers who claimed each attempt until it is
// journaled ("REPLICA\nNONCE": the nonce tells this process from another
// with the same name): an attempt claimed while an entry stands was taken
// over from that replica, whose lease ended. Each claimed id comes with
// that entry (empty for none).
//
// KEYS: due, claims. ARGV: 1 now (ms), 2 lease (wall ms), 3 replica,
// 4 most, 5 lease key prefix, 6 lease (ms on the dispatcher's clock),
// 7 TTL (ms, 0: none), 8 the claims entry. The lease keys share the
// namespace's hash tag.
var claimScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, id in ipairs(ids) do
  if redis.call('SET', ARGV[5] .. id, ARGV[3], 'NX', 'PX', ARGV[2]) then
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[6]), id)
    table.insert(out, id)
    table.insert(out, redis.call('HGET', KEYS[2], id) or '')
    redis.call('HSET', KEYS[2], id, ARGV[8])
  end
end
if #out > 0 and tonumber(ARGV[7]) > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[7]) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {out, first[2] or ''}
`)

// Claim takes up to most attempts due at now whose lease is free.
func (s *deliveries) Claim(ctx context.Context, now time.Time, most int) ([]mockimpact.Claim, time.Time, bool, error) {
	res, err := claimScript.Run(ctx, s.client, []string{s.kDue, s.kClaims}, now.UnixMilli(), s.lease.Milliseconds(), s.replica, most,
		s.prefix+"lease:", s.sharing.Lease.Milliseconds(), s.ttl.Milliseconds(), s.claimer).Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("script answered %v", res)
	}
	if err != nil {
		return nil, time.Time{}, false, store.Unavailable("claiming due attempts", err)
	}
	var claims []mockimpact.Claim
	list, _ := res[0].([]any)
	for i := 0; i+1 < len(list); i += 2 {
		id, _ := list[i].(string)
		entry, _ := list[i+1].(string)
		from := ""
		if entry != s.claimer { // this process's own claim again (its attempt never ran): no takeover
			from, _, _ = strings.Cut(entry, "\n")
		}
		claims = append(claims, mockimpact.Claim{ID: id, TakenOverFrom: from})
	}
	if score, _ := res[1].(string); score != "" {
		if ms, perr := strconv.ParseFloat(score, 64); perr == nil {
			return claims, time.UnixMilli(int64(ms)), true, nil
		}
	}
	return claims, time.Time{}, false, nil
}

// renewScript extends a lease this replica holds, and the due time with
// it. KEYS: lease, due. ARGV: 1 replica, 2 lease (wall ms), 3 id, 4 now
// (ms), 5 lease (ms on the dispatcher's clock).
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', tonumber(ARGV[4]) + tonumber(ARGV[5]), ARGV[3])
return 1
`)

// Renew extends this replica's lease on id's attempt.
func (s *deliveries) Renew(ctx context.Context, id string, now time.Time) (bool, error) {
	n, err := renewScript.Run(ctx, s.client, []string{s.leaseKey(id), s.kDue}, s.replica, s.lease.Milliseconds(), id, now.UnixMilli(), s.sharing.Lease.Milliseconds()).Int()
	if err != nil {
		return false, store.Unavailable("renewing the lease of "+id, err)
	}
	return n == 1, nil
}

// finishScript journals an attempt of a delivery whose lease this
// replica holds: the record replaced, the next attempt scheduled (or the
// delivery out of the schedule), the lease released; past the bound,
// the oldest finished deliveries are forgotten, looked for among the 100
// oldest (each LREM then finds its id near the head): the cost of a
// journaled attempt does not grow with the journal. It returns 0 when the
// lease was lost (another replica took the attempt over).
//
// KEYS: lease, deliveries, due, order, stats, claims. ARGV: 1 replica,
// 2 id, 3 record, 4 next due (ms; ” when ended), 5 the most deliveries
// (0: no bound), 6 TTL (ms, 0: none).
var finishScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[6], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[3], ARGV[2])
else
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
end
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', KEYS[5], 'attempts', 1)
local most = tonumber(ARGV[5])
if ARGV[4] == '' and most > 0 then
  local excess = redis.call('LLEN', KEYS[4]) - most
  if excess > 0 then
    local gone = 0
    for _, id in ipairs(redis.call('LRANGE', KEYS[4], 0, 99)) do
      if gone >= excess then break end
      if not redis.call('ZSCORE', KEYS[3], id) then
        redis.call('LREM', KEYS[4], 1, id)
        redis.call('HDEL', KEYS[2], id)
        gone = gone + 1
      end
    end
    if gone > 0 then redis.call('HINCRBY', KEYS[5], 'evicted', gone) end
  end
end
if tonumber(ARGV[6]) > 0 then
  for i = 2, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
end
return 1
`)

// Finish journals the attempt just appended to d.Attempts while this
// replica holds its lease.
func (s *deliveries) Finish(ctx context.Context, d *mockimpact.StoredDelivery, next *time.Time, most int) (bool, error) {
	if next != nil {
		d.Scheduled = *next
	}
	b, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("delivery %s: encoding: %w", d.ID, err)
	}
	due := ""
	if next != nil {
		due = strconv.FormatInt(next.UnixMilli(), 10)
	}
	n, err := finishScript.Run(ctx, s.client, []string{s.leaseKey(d.ID), s.kDeliveries, s.kDue, s.kOrder, s.kStats, s.kClaims},
		s.replica, d.ID, b, due, most, s.ttl.Milliseconds()).Int()
	if err != nil {
		return false, store.Unavailable("journaling an attempt of "+d.ID, err)
	}
	return n == 1, nil
}

// Load reads delivery id.
func (s *deliveries) Load(ctx context.Context, id string) (*mockimpact.StoredDelivery, bool, error) {
	b, err := s.client.HGet(ctx, s.kDeliveries, id).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, store.Unavailable("reading delivery "+id, err)
	}
	var d mockimpact.StoredDelivery
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, false, fmt.Errorf("stored delivery %s: %w", id, err)
	}
	return &d, true, nil
}

// All reads every delivery, oldest first.
func (s *deliveries) All(ctx context.Context) ([]*mockimpact.StoredDelivery, error) {
	ids, err := s.client.LRange(ctx, s.kOrder, 0, -1).Result()
	if err != nil {
		return nil, store.Unavailable("reading the deliveries", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	vals, err := s.client.HMGet(ctx, s.kDeliveries, ids...).Result()
	if err != nil {
		return nil, store.Unavailable("reading the deliveries", err)
	}
	out := make([]*mockimpact.StoredDelivery, 0, len(vals))
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue // forgotten meanwhile
		}
		var d mockimpact.StoredDelivery
		if err := json.Unmarshal([]byte(str), &d); err != nil {
			return nil, fmt.Errorf("stored delivery %s: %w", ids[i], err)
		}
		out = append(out, &d)
	}
	return out, nil
}

// Stats counts the deliveries, the pending ones, the attempts and the
// evicted deliveries.
func (s *deliveries) Stats(ctx context.Context) (mockimpact.Stats, error) {
	p := s.client.Pipeline()
	n := p.LLen(ctx, s.kOrder)
	pending := p.ZCard(ctx, s.kDue)
	st := p.HMGet(ctx, s.kStats, "attempts", "evicted")
	if _, err := p.Exec(ctx); err != nil {
		return mockimpact.Stats{}, store.Unavailable("counting the deliveries", err)
	}
	num := func(v any) int {
		str, _ := v.(string)
		i, _ := strconv.Atoi(str)
		return i
	}
	vals := st.Val()
	return mockimpact.Stats{Deliveries: int(n.Val()), Pending: int(pending.Val()), Attempts: num(vals[0]), Evicted: num(vals[1])}, nil
}

// retryNowScript moves a waiting attempt (due, not claimed) to ARGV[2],
// and stores the delivery with that due time (ARGV[5]) unless it changed
// since it was read (ARGV[4]): then it returns -1, and the caller reads
// it again. KEYS: due, deliveries. ARGV: 1 id, 2 now (ms), 3 lease key,
// 4 the record read, 5 the record to store.
var retryNowScript = redis.NewScript(`
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if redis.call('EXISTS', ARGV[3]) == 1 then return 0 end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[4] then return -1 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
return 1
`)

// RetryNow moves id's waiting attempt to now, the delivery's Scheduled
// with it.
func (s *deliveries) RetryNow(ctx context.Context, id string, now time.Time) (bool, error) {
	for range 3 { // read again while an attempt is journaled meanwhile
		old, err := s.client.HGet(ctx, s.kDeliveries, id).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			return false, nil
		case err != nil:
			return false, store.Unavailable("retrying "+id, err)
		}
		var d mockimpact.StoredDelivery
		if err := json.Unmarshal(old, &d); err != nil {
			return false, fmt.Errorf("stored delivery %s: %w", id, err)
		}
		d.Scheduled = now
		b, err := json.Marshal(&d)
		if err != nil {
			return false, fmt.Errorf("delivery %s: encoding: %w", id, err)
		}
		n, err := retryNowScript.Run(ctx, s.client, []string{s.kDue, s.kDeliveries}, id, now.UnixMilli(), s.leaseKey(id), old, b).Int()
		if err != nil {
			return false, store.Unavailable("retrying "+id, err)
		}
		if n >= 0 {
			return n == 1, nil
		}
	}
	return false, nil
}

// resetScript forgets the finished deliveries. KEYS: order, due,
// deliveries.
var resetScript = redis.NewScript(`
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local kept = {}
for _, id in ipairs(ids) do
  if redis.call('ZSCORE', KEYS[2], id) then table.insert(kept, id) else redis.call('HDEL', KEYS[3], id) end
end
redis.call('DEL', KEYS[1])
for i = 1, #kept, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(kept, i, math.min(i + 999, #kept)))
end
return #kept
`)

// Reset forgets the ended deliveries.
func (s *deliveries) Reset(ctx context.Context) error {
	if err := resetScript.Run(ctx, s.client, []string{s.kOrder, s.kDue, s.kDeliveries}).Err(); err != nil {
		return store.Unavailable("forgetting the finished deliveries", err)
	}
	return nil
}

// Stop leaves the pending deliveries to the other replicas: whatever
// this one claimed is taken over when its lease ends.
func (s *deliveries) Stop(context.Context) (int, error) { return 0, nil }
