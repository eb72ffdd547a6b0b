package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/store"
)

// The requests a process journals at the same time go to Redis together:
// one script call records a batch of them, in arrival order, each with its
// own verdict from the duplicate filter. A script call costs Redis a few
// microseconds of its one thread before it does anything, and each
// request's commands (its ZADD, its share of one RPUSH) about one more:
// batching is what keeps the Redis store within reach of the memory one
// under load (docs/sandbox.md has the figures). No request waits for a
// batch to fill: a batch is whatever queued while the previous one was
// on its way, and a lone request goes at once.

const (
	// batchFlushers is how many batches of one namespace can be on their
	// way to Redis at once: with two, Redis works on one while the other
	// crosses the network.
	batchFlushers = 2
	// batchMax bounds a batch, so that one script call never holds Redis
	// (which runs nothing else meanwhile) for long.
	batchMax = 128
	// batchMaxBytes bounds a batch's payloads likewise.
	batchMaxBytes = 1 << 20
	// batchQueueWait bounds how long a request waits for a flusher (real
	// time): with Redis slow or down, the requests queued longer fail
	// (HTTP 503) instead of each waiting for every batch before it, so a
	// request is answered within this plus one call's timeouts, whatever
	// the backlog, as when each request made its own call.
	batchQueueWait = 2 * time.Second
)

// errQueueWait is the error of a request that waited batchQueueWait.
var errQueueWait = store.Unavailable("journaling the request", errors.New("redis busy: waited "+batchQueueWait.String()+" behind other requests"))

// pendingRecord is a request waiting for its batch.
type pendingRecord struct {
	member        string // the id's hash, "" for no dedup
	size, dupSize int64
	payload       string
	unlessFaults  bool
	seq           int64
	fresh, faults bool
	err           error
	done          chan struct{}
	queued        time.Time // when do queued it (real time)
	at            int64     // when it was received, µs on the sandbox's clock (0: the batch's time)
}

// batcher queues a namespace's requests and sends them in batches.
type batcher struct {
	run func([]*pendingRecord) error // sends one batch, setting each one's result

	mu     sync.Mutex
	queue  []*pendingRecord
	active int // flushers running
}

// do queues p and returns when its batch has been sent.
func (b *batcher) do(p *pendingRecord) {
	p.done = make(chan struct{})
	p.queued = time.Now()
	b.mu.Lock()
	b.queue = append(b.queue, p)
	if b.active < batchFlushers {
		b.active++
		batch := b.takeLocked() // never empty: p has just queued
		b.mu.Unlock()
		go b.flush(batch)
	} else {
		b.mu.Unlock()
	}
	<-p.done
}

// takeLocked takes the oldest requests from the queue, within the
// bounds, after failing those that waited batchQueueWait. It returns
// nothing only when the queue is empty.
func (b *batcher) takeLocked() []*pendingRecord {
	stale := time.Now().Add(-batchQueueWait)
	for len(b.queue) > 0 && b.queue[0].queued.Before(stale) {
		p := b.queue[0]
		p.err = errQueueWait
		close(p.done)
		b.queue[0] = nil
		b.queue = b.queue[1:]
	}
	n, bytes := 0, 0
	for n < len(b.queue) && n < batchMax && (n == 0 || bytes+len(b.queue[n].payload) <= batchMaxBytes) {
		bytes += len(b.queue[n].payload)
		n++
	}
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	if len(b.queue) == 0 {
		b.queue = nil // let the backing array go
	}
	return batch
}

// flush sends batches until the queue is empty.
func (b *batcher) flush(batch []*pendingRecord) {
	for {
		if err := b.run(batch); err != nil {
			for _, p := range batch {
				p.err = err
			}
		}
		for _, p := range batch {
			close(p.done)
		}
		b.mu.Lock()
		batch = b.takeLocked()
		if len(batch) == 0 {
			b.active--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
	}
}

// recordScript is the duplicate filter and the journal of a batch of
// requests in one atomic step.
//
// KEYS: dedup zset, dedup stats hash, journal list, journal meta hash,
// fault rule ids, this batch's done list, then the done lists of the
// batches to withdraw (ARGV[10] of them).
// ARGV: 1 now (µs), 2 the filter's TTL (µs), 3 its capacity, 4 journal
// capacity (0: none), 5 journal byte budget (0: none), 6 the journal's
// key TTL (ms), 7 the filter's key TTL (ms), 8 "1" to refresh the keys'
// TTLs and remove expired ids (keyRefresh), 9 the deadline (µs of Redis's
// TIME; 0: none) past which the script does nothing and returns the one
// number -2 (deadline.go), 10 how many batches to withdraw; then six per
// request: its id
// hash ("" for no dedup), its size, its size as a duplicate, its
// payload, "1" to record it only when there is no fault rule, and its id's
// expiry (µs): when it was received plus the filter's TTL. Its id is
// checked and remembered at the time it was received, as the memory store
// does, so the ids of one batch get the expiries of their arrival order,
// not one tie. The expiry comes computed, as a decimal integer, and
// numbers are written with %d: Redis 7.0 formats a Lua number passed to
// a command with printf's %.17g, and Lua's own concatenation with %.14g:
// under wrk load, perf counted about 9 % of redis-server's samples in
// float formatting and parsing with Lua numbers there, 3.5 % without.
//
// It returns two numbers per request: its journal number and 1 when its
// id is new (0 when the filter knew it), or 0 and -1 when it asked to be
// recorded only without fault rules and there is one (it is then not
// recorded).
//
// The filter is a sorted set of ids scored by expiry. An id is added
// with ZADD NX, whose answer says whether it was there; one found
// expired is counted as such and added again. Expired ids are otherwise
// removed by the periodic refresh, when the filter is full (before the
// earliest expiring are evicted; never the id being added) and when its
// stats are read. The journal is a list of "SEQ SIZE DUP PAYLOAD",
// numbered from the meta hash's received, where DUP is 1 when the filter
// found the id (the entry is then read as a duplicate's answer,
// markDuplicate); the bytes are counted in the meta hash, and the oldest
// entries are trimmed to the count and byte bounds (the newest always
// stays). A key just created gets its TTL at once: the filter when its
// id is alone in it, the stats hash whenever the script writes it (once a
// script), the journal and its meta hash when either is new.
var recordScript = redis.NewScript(`
-- Withdraw the batches whose callers gave up (withdraw.go): forget the
-- ids they added, and turn their journal entries into tombstones.
local nab = tonumber(ARGV[10])
if nab > 0 then
  local recv = tonumber(redis.call('HGET', KEYS[4], 'received') or '0')
  local llen = redis.call('LLEN', KEYS[3])
  for k = 7, 6 + nab do
    -- the done record: per request, "SEQ:" then "M" and the id's 16
    -- bytes when it added the id, else "D"
    local rec = redis.call('GET', KEYS[k])
    local pos = 1
    while rec and pos <= #rec do
      local colon = string.find(rec, ':', pos, true)
      local seq = tonumber(string.sub(rec, pos, colon - 1))
      pos = colon + 1
      if string.sub(rec, pos, pos) == 'M' then
        redis.call('ZREM', KEYS[1], string.sub(rec, pos + 1, pos + 16))
        pos = pos + 17
      else
        pos = pos + 1
      end
      local idx = llen - 1 - (recv - seq)
      if idx >= 0 then
        local el = redis.call('LINDEX', KEYS[3], idx)
        if el then
          local s, size = string.match(el, '^(%d+) (%d+) ')
          if tonumber(s) == seq then
            redis.call('LSET', KEYS[3], idx, string.format('%d', seq) .. ' 0 2 ')
            redis.call('HINCRBY', KEYS[4], 'bytes', -tonumber(size))
          end
        end
      end
    end
    redis.call('DEL', KEYS[k])
  end
end
local deadline = tonumber(ARGV[9])
if deadline > 0 then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000000 + tonumber(t[2]) > deadline then return {-2} end
end
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local faults = redis.call('EXISTS', KEYS[5]) == 1
local stats = false
local function sweep(at)
  local gone = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', at)
  if gone > 0 then
    redis.call('HINCRBY', KEYS[2], 'expired', gone)
    stats = true
  end
end
local meta = redis.call('HMGET', KEYS[4], 'received', 'bytes')
local first, seq, bytes = meta[1] == false, tonumber(meta[1] or '0'), tonumber(meta[2] or '0')
local card = nil
local out, els = {}, {}
local done = {}
for i = 11, #ARGV, 6 do
  if faults and ARGV[i+4] == '1' then
    out[#out+1] = 0
    out[#out+1] = -1
  else
    local id, fresh, size = ARGV[i], 1, ARGV[i+1]
    -- the expiry goes to ZADD as sent: a Lua number would be formatted
    -- with printf's %.17g
    local exp = ARGV[i+5]
    if id ~= '' then
      if redis.call('ZADD', KEYS[1], 'NX', exp, id) == 0 then
        local at = tonumber(exp) - ttl
        if tonumber(redis.call('ZSCORE', KEYS[1], id)) > at then
          fresh, size = 0, ARGV[i+2]
        else
          sweep(at)
          redis.call('ZADD', KEYS[1], exp, id)
          card = nil
        end
      end
      if fresh == 1 then
        if card == nil then card = redis.call('ZCARD', KEYS[1]) else card = card + 1 end
        if card > cap then
          redis.call('ZREM', KEYS[1], id)
          sweep(tonumber(exp) - ttl)
          local n = redis.call('ZCARD', KEYS[1])
          if n >= cap then
            redis.call('ZPOPMIN', KEYS[1], n - cap + 1)
            redis.call('HINCRBY', KEYS[2], 'evicted', n - cap + 1)
            stats = true
            n = cap - 1
          end
          redis.call('ZADD', KEYS[1], exp, id)
          card = n + 1
        end
        -- the id is alone: the set was just created (or emptied and
        -- created again)
        if card == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
      end
    end
    seq = seq + 1
    bytes = bytes + tonumber(size)
    -- integers written as such (%d), not as Lua's %.14g numbers
    local s = string.format('%d', seq)
    if fresh == 1 then
      els[#els+1] = s .. ' ' .. size .. ' 0 ' .. ARGV[i+3]
      if id ~= '' then done[#done+1] = s .. ':M' .. id else done[#done+1] = s .. ':D' end
    else
      els[#els+1] = s .. ' ' .. size .. ' 1 ' .. ARGV[i+3]
      done[#done+1] = s .. ':D'
    end
    out[#out+1] = seq
    out[#out+1] = fresh
  end
end
if #els > 0 then
  local n = redis.call('RPUSH', KEYS[3], unpack(els))
  local created = n == #els
  local jcap, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
  local evicted = 0
  if jcap > 0 and n > jcap then
    local k = n - jcap
    for _, old in ipairs(redis.call('LPOP', KEYS[3], k)) do
      bytes = bytes - tonumber(string.match(old, '^%d+ (%d+) '))
    end
    n, evicted = n - k, k
  end
  while n > 1 and budget > 0 and bytes > budget do
    local old = redis.call('LPOP', KEYS[3])
    bytes = bytes - tonumber(string.match(old, '^%d+ (%d+) '))
    n, evicted = n - 1, evicted + 1
  end
  redis.call('HSET', KEYS[4], 'received', string.format('%d', seq), 'bytes', string.format('%d', bytes))
  if evicted > 0 then redis.call('HINCRBY', KEYS[4], 'evicted', evicted) end
  if first or created then
    redis.call('PEXPIRE', KEYS[3], ARGV[6])
    redis.call('PEXPIRE', KEYS[4], ARGV[6])
  end
end
if ARGV[8] == '1' then
  -- also when every request was declined: the refresh is used up
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
  sweep(now)
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  stats = true
end
if stats then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
if #done > 0 then redis.call('SET', KEYS[6], table.concat(done), 'PX', 300000) end
return out
`)

// recordHeaderArgs is the count of recordScript's ARGV before the
// requests'.
const recordHeaderArgs = 10

// runBatch sends a batch through recordScript and sets each request's
// result.
func (r *oceanState) runBatch(batch []*pendingRecord) error {
	slack := 2 * keyRefresh.Milliseconds()
	refresh := "0"
	if len(batch) > 0 && r.refreshDue() { // not a withdrawing call: it may not succeed any sooner
		refresh = "1"
	}
	deadline, err := r.clock.deadline(context.Background())
	if err != nil {
		return err
	}
	token := newBatchToken()
	withdraw := r.toWithdraw()
	keys := make([]string, 0, 6+len(withdraw))
	keys = append(keys, r.kDedup, r.kDedupStats, r.kJournal, r.kJournalMeta, r.kFaultIDs, r.doneKey(token))
	for _, t := range withdraw {
		keys = append(keys, r.doneKey(t))
	}
	args := make([]any, 0, recordHeaderArgs+6*len(batch))
	now, ttl := r.cfg.Clock.Now().UnixMicro(), r.cfg.DedupTTL.Microseconds()
	args = append(args, now, ttl, r.cfg.DedupCapacity,
		r.cfg.JournalCapacity, r.cfg.JournalMaxBytes, r.idleTTL+slack, r.cfg.DedupTTL.Milliseconds()+slack, refresh, deadline, len(withdraw))
	for _, p := range batch {
		only := "0"
		if p.unlessFaults {
			only = "1"
		}
		at := p.at
		if at == 0 {
			at = now
		}
		args = append(args, p.member, p.size, p.dupSize, p.payload, only, at+ttl)
	}
	res, err := recordScript.Run(context.Background(), r.client, keys, args...).Int64Slice()
	if err == nil || errors.Is(err, errPastDeadline) {
		r.withdrawn(withdraw) // the script ran: it withdrew them
	}
	if err == nil && len(res) == 1 && res[0] == -2 {
		err = errPastDeadline
	}
	if err != nil && !errors.Is(err, errPastDeadline) && len(batch) > 0 {
		// It may have run, and its callers get 503: withdraw it.
		r.withdrawLater(token)
	}
	if err == nil && len(res) != 2*len(batch) {
		err = fmt.Errorf("script answered %d numbers for %d requests", len(res), len(batch))
	}
	if err != nil {
		if refresh == "1" {
			// The refresh may not have happened: the next batch does it,
			// not one a minute on (the keys' slack is two periods).
			r.refreshAt.Store(0)
		}
		return store.Unavailable("journaling the request", err)
	}
	for i, p := range batch {
		p.seq, p.fresh, p.faults = res[2*i], res[2*i+1] == 1, res[2*i+1] == -1
	}
	return nil
}
