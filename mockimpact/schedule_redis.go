package mockimpact

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
)

// DefaultLease is how long a replica holds an attempt it claimed before
// another may take it over (ScheduleOptions.Lease).
const DefaultLease = 10 * time.Second

// DefaultPoll is how often, in wall time, a dispatcher with a
// RedisSchedule looks for due attempts.
const DefaultPoll = 200 * time.Millisecond

// ScheduleOptions configures NewRedisSchedule.
type ScheduleOptions struct {
	// Replica names this process in the attempts it sends; empty means
	// "replica".
	Replica string
	// Lease bounds how late an attempt is when the replica that claimed
	// it dies: another takes it over after it, in wall time. 0 means
	// DefaultLease.
	Lease time.Duration
	// Poll is how often due attempts are looked for, in wall time; 0
	// means DefaultPoll.
	Poll time.Duration
	// Scale is how much faster than the wall clock the dispatcher's clock
	// runs (the sandbox's --time-scale): Lease and Poll are converted to
	// its terms with it. ≤ 1 means 1.
	Scale float64
	// TTL is how long the deliveries outlive their last change; 0 keeps
	// them.
	TTL time.Duration
}

// RedisSchedule keeps a namespace's deliveries in Redis: the pending
// attempts as a sorted set of due times (the dispatcher clock's
// UnixMilli), each claimed by one replica at a time with a lease key
// (SET NX PX), the deliveries and their attempts in a hash, their order
// in a list. Every dispatcher on it sends the attempts due, each exactly
// once while the replicas live; a replica killed loses nothing: its
// claimed attempts are sent by another once their lease ends. Give it
// to a dispatcher as Options.Schedule.
type RedisSchedule struct {
	client               redis.UniversalClient
	prefix               string
	kDue, kDeliveries    string
	kOrder, kStats, kSeq string
	kClaims              string
	claimer              string // the claims hash's entry for this process
	replica              string
	lease, ttl           time.Duration // wall time
	// The lease and the poll on the dispatcher's clock.
	leaseOnClock, pollOnClock time.Duration
}

// NewRedisSchedule returns the schedule whose keys start with prefix
// (PREFIX{NS}:impact:).
func NewRedisSchedule(client redis.UniversalClient, prefix string, o ScheduleOptions) *RedisSchedule {
	if o.Replica == "" {
		o.Replica = "replica"
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	o.Scale = max(o.Scale, 1)
	return &RedisSchedule{client: client, prefix: prefix, kDue: prefix + "due", kDeliveries: prefix + "deliveries",
		kOrder: prefix + "order", kStats: prefix + "stats", kSeq: prefix + "seq", kClaims: prefix + "claims",
		claimer: o.Replica + "\n" + strconv.FormatUint(rand.Uint64(), 36),
		replica: o.Replica, lease: o.Lease, ttl: o.TTL,
		leaseOnClock: time.Duration(float64(o.Lease) * o.Scale), pollOnClock: time.Duration(float64(o.Poll) * o.Scale)}
}

// Replica is the name this schedule's dispatcher records in its attempts.
func (s *RedisSchedule) Replica() string { return s.replica }

func (s *RedisSchedule) leaseKey(id string) string { return s.prefix + "lease:" + id }

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

// nextID numbers a new delivery across the replicas.
func (s *RedisSchedule) nextID(ctx context.Context) (string, error) {
	n, err := s.client.Incr(ctx, s.kSeq).Result()
	if err != nil {
		return "", storeError("numbering a delivery", err)
	}
	return fmt.Sprintf("d%06d", n), nil
}

func (s *RedisSchedule) add(ctx context.Context, rec *StoredDelivery, due time.Time) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("delivery %s: encoding: %w", rec.ID, err)
	}
	if err := addScript.Run(ctx, s.client, []string{s.kDeliveries, s.kDue, s.kOrder}, rec.ID, b, due.UnixMilli(), s.ttl.Milliseconds()).Err(); err != nil {
		return storeError("scheduling delivery "+rec.ID, err)
	}
	return nil
}

// claimScript takes up to ARGV[4] attempts due at ARGV[1] (ms) whose
// lease is free: each gets a lease key (SET NX PX) naming the replica,
// and its due time moves to the lease's end, when another replica may
// take it over if this one has not finished it. It returns the ids
// claimed, then the earliest due time left in the schedule (” when it
// is empty), so that the poller can wake exactly then.
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

// claimed is an attempt claimed: its delivery, and the replica it was
// taken over from ("" when none had claimed it).
type claimed struct{ id, from string }

// claim takes up to most attempts due at now, and says when the
// earliest attempt left is due (ok false: none is).
func (s *RedisSchedule) claim(ctx context.Context, now time.Time, most int) (ids []claimed, next time.Time, ok bool, err error) {
	res, err := claimScript.Run(ctx, s.client, []string{s.kDue, s.kClaims}, now.UnixMilli(), s.lease.Milliseconds(), s.replica, most,
		s.prefix+"lease:", s.leaseOnClock.Milliseconds(), s.ttl.Milliseconds(), s.claimer).Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("script answered %v", res)
	}
	if err != nil {
		return nil, time.Time{}, false, storeError("claiming due attempts", err)
	}
	list, _ := res[0].([]any)
	for i := 0; i+1 < len(list); i += 2 {
		id, _ := list[i].(string)
		entry, _ := list[i+1].(string)
		from := ""
		if entry != s.claimer { // this process's own claim again (its attempt never ran): no takeover
			from, _, _ = strings.Cut(entry, "\n")
		}
		ids = append(ids, claimed{id, from})
	}
	if score, _ := res[1].(string); score != "" {
		if ms, perr := strconv.ParseFloat(score, 64); perr == nil {
			return ids, time.UnixMilli(int64(ms)), true, nil
		}
	}
	return ids, time.Time{}, false, nil
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

func (s *RedisSchedule) renew(ctx context.Context, id string, now time.Time) (bool, error) {
	n, err := renewScript.Run(ctx, s.client, []string{s.leaseKey(id), s.kDue}, s.replica, s.lease.Milliseconds(), id, now.UnixMilli(), s.leaseOnClock.Milliseconds()).Int()
	if err != nil {
		return false, storeError("renewing the lease of "+id, err)
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

func (s *RedisSchedule) finish(ctx context.Context, rec *StoredDelivery, next *time.Time, most int) (bool, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("delivery %s: encoding: %w", rec.ID, err)
	}
	due := ""
	if next != nil {
		due = strconv.FormatInt(next.UnixMilli(), 10)
	}
	n, err := finishScript.Run(ctx, s.client, []string{s.leaseKey(rec.ID), s.kDeliveries, s.kDue, s.kOrder, s.kStats, s.kClaims},
		s.replica, rec.ID, b, due, most, s.ttl.Milliseconds()).Int()
	if err != nil {
		return false, storeError("journaling an attempt of "+rec.ID, err)
	}
	return n == 1, nil
}

func (s *RedisSchedule) load(ctx context.Context, id string) (*StoredDelivery, bool, error) {
	b, err := s.client.HGet(ctx, s.kDeliveries, id).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, storeError("reading delivery "+id, err)
	}
	var rec StoredDelivery
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, false, fmt.Errorf("stored delivery %s: %w", id, err)
	}
	return &rec, true, nil
}

// all returns every delivery, oldest first.
func (s *RedisSchedule) all(ctx context.Context) ([]*StoredDelivery, error) {
	ids, err := s.client.LRange(ctx, s.kOrder, 0, -1).Result()
	if err != nil {
		return nil, storeError("reading the deliveries", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	vals, err := s.client.HMGet(ctx, s.kDeliveries, ids...).Result()
	if err != nil {
		return nil, storeError("reading the deliveries", err)
	}
	out := make([]*StoredDelivery, 0, len(vals))
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue // forgotten meanwhile
		}
		var rec StoredDelivery
		if err := json.Unmarshal([]byte(str), &rec); err != nil {
			return nil, fmt.Errorf("stored delivery %s: %w", ids[i], err)
		}
		out = append(out, &rec)
	}
	return out, nil
}

// counts returns the deliveries, the pending ones, the attempts and the
// evicted deliveries.
func (s *RedisSchedule) counts(ctx context.Context) (Stats, error) {
	p := s.client.Pipeline()
	n := p.LLen(ctx, s.kOrder)
	pending := p.ZCard(ctx, s.kDue)
	st := p.HMGet(ctx, s.kStats, "attempts", "evicted")
	if _, err := p.Exec(ctx); err != nil {
		return Stats{}, storeError("counting the deliveries", err)
	}
	num := func(v any) int {
		str, _ := v.(string)
		i, _ := strconv.Atoi(str)
		return i
	}
	vals := st.Val()
	return Stats{Deliveries: int(n.Val()), Pending: int(pending.Val()), Attempts: num(vals[0]), Evicted: num(vals[1])}, nil
}

// retryNowScript moves a waiting attempt (due, not claimed) to ARGV[2].
// KEYS: due. ARGV: 1 id, 2 now (ms), 3 lease key.
var retryNowScript = redis.NewScript(`
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if redis.call('EXISTS', ARGV[3]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
`)

func (s *RedisSchedule) retryNow(ctx context.Context, id string, now time.Time) (bool, error) {
	n, err := retryNowScript.Run(ctx, s.client, []string{s.kDue}, id, now.UnixMilli(), s.leaseKey(id)).Int()
	if err != nil {
		return false, storeError("retrying "+id, err)
	}
	return n == 1, nil
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

func (s *RedisSchedule) reset(ctx context.Context) error {
	if err := resetScript.Run(ctx, s.client, []string{s.kOrder, s.kDue, s.kDeliveries}).Err(); err != nil {
		return storeError("forgetting the finished deliveries", err)
	}
	return nil
}
