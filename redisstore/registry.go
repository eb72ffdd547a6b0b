package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/store"
	"github.com/redis/go-redis/v9"
)

// registryTag is the hash tag of the sandbox's own keys: no namespace can
// be named so (a name starts with a letter or a digit).
const registryTag = "_sandbox"

// registry keeps the namespaces in Redis, shared by the replicas: a hash
// of records by name, and a hash of last uses (UnixNano) by name.
type registry struct {
	s       *Store // for each namespace's key prefix
	client  *redis.Client
	kNames  string
	kUsed   string
	idleTTL time.Duration
}

var _ store.Registry = (*registry)(nil)

// Registry returns the namespaces, replica heartbeats and scaled clocks'
// epoch that the sandbox's replicas on this Redis and prefix agree on,
// under the {_sandbox} hash tag (no namespace can be named so).
func (s *Store) Registry() store.Registry {
	p := s.nsPrefix(registryTag)
	return &registry{s: s, client: s.client, kNames: p + "namespaces", kUsed: p + "namespaces:used", idleTTL: s.idleTTL}
}

// nsCreateScript adds a namespace unless it exists (1) or the registry
// holds ARGV[3] already (2).
//
// KEYS: names hash, used hash. ARGV: 1 name, 2 record, 3 the most
// namespaces, 4 now (UnixNano), 5 TTL (ms).
var nsCreateScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 0
`)

// CreateNamespace adds name with rec in one script, which checks both
// that it does not exist and the most namespaces.
func (g *registry) CreateNamespace(ctx context.Context, name string, rec store.Namespace, max int) error {
	b, _ := json.Marshal(rec) // a string and a number: never fails
	n, err := nsCreateScript.Run(ctx, g.client, []string{g.kNames, g.kUsed}, name, b, max, rec.Created, g.idleTTL.Milliseconds()).Int()
	switch {
	case err != nil:
		return store.Unavailable("creating namespace "+name, err)
	case n == 1:
		return fmt.Errorf("namespace %q: %w", name, store.ErrNamespaceExists)
	case n == 2:
		return fmt.Errorf("namespace %q: the sandbox already holds %d namespaces under /ns/ (--max-namespaces): %w", name, max, store.ErrNamespaceLimit)
	}
	return nil
}

// Namespace reads name's record.
func (g *registry) Namespace(ctx context.Context, name string) (rec store.Namespace, ok bool, err error) {
	b, err := g.client.HGet(ctx, g.kNames, name).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return rec, false, nil
	case err != nil:
		return rec, false, store.Unavailable("reading namespace "+name, err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, false, fmt.Errorf("namespace %s: stored record: %w", name, err)
	}
	return rec, true, nil
}

// NamespaceUses reads every namespace's last use (UnixNano).
func (g *registry) NamespaceUses(ctx context.Context) (map[string]int64, error) {
	m, err := g.client.HGetAll(ctx, g.kUsed).Result()
	if err != nil {
		return nil, store.Unavailable("reading namespace uses", err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		n, _ := strconv.ParseInt(v, 10, 64)
		out[k] = n
	}
	return out, nil
}

// Namespaces reads every namespace's record.
func (g *registry) Namespaces(ctx context.Context) (map[string]store.Namespace, error) {
	m, err := g.client.HGetAll(ctx, g.kNames).Result()
	if err != nil {
		return nil, store.Unavailable("listing namespaces", err)
	}
	out := make(map[string]store.Namespace, len(m))
	for k, v := range m {
		var rec store.Namespace
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			return nil, fmt.Errorf("namespace %s: stored record: %w", k, err)
		}
		out[k] = rec
	}
	return out, nil
}

// nsTouchScript raises a namespace's last use, if it exists.
var nsTouchScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) > old then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`)

// TouchNamespace records a use of name at now (UnixNano).
func (g *registry) TouchNamespace(ctx context.Context, name string, now int64) error {
	if err := nsTouchScript.Run(ctx, g.client, []string{g.kNames, g.kUsed}, name, now, g.idleTTL.Milliseconds()).Err(); err != nil {
		return store.Unavailable("recording a use of namespace "+name, err)
	}
	return nil
}

// nsRemoveScript removes a namespace; with ARGV[2] > 0, only when its last
// use is at or before ARGV[2] (an idle one). It returns 1 when removed.
var nsRemoveScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local cutoff = tonumber(ARGV[2])
if cutoff > 0 and tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') > cutoff then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`)

// RemoveNamespace deletes name and every key of its state (the Ocean
// journal, duplicate filter and fault rules, the postback configurations
// and deliveries). With idleSince not zero, only if it has not been used
// after it.
func (g *registry) RemoveNamespace(ctx context.Context, name string, idleSince int64) (bool, error) {
	n, err := nsRemoveScript.Run(ctx, g.client, []string{g.kNames, g.kUsed}, name, idleSince).Int()
	if err != nil {
		return false, store.Unavailable("deleting namespace "+name, err)
	}
	if n == 0 {
		return false, nil
	}
	return true, g.dropState(ctx, name)
}

// dropState deletes the keys of name's state.
func (g *registry) dropState(ctx context.Context, name string) error {
	prefix := g.s.nsPrefix(name)
	iter := g.client.Scan(ctx, 0, globEscape(prefix)+"*", 100).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return store.Unavailable("listing the keys of namespace "+name, err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		if err := g.client.Del(ctx, keys[:n]...).Err(); err != nil {
			return store.Unavailable("deleting the keys of namespace "+name, err)
		}
		keys = keys[n:]
	}
	return nil
}

// globEscape escapes the characters special in a Redis MATCH pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\^-`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// heartbeatScript records a replica's heartbeat and returns the one it
// replaces. KEYS: the replicas hash. ARGV: 1 replica id, 2 "NONCE
// UNIXNANO", 3 TTL (ms).
var heartbeatScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return old or ''
`)

// Heartbeat records that replica id (this process: nonce) is alive at
// now, and returns what the hash held for id before.
func (g *registry) Heartbeat(ctx context.Context, id, nonce string, now time.Time) (string, error) {
	old, err := heartbeatScript.Run(ctx, g.client, []string{g.replicasKey()}, id, nonce+" "+strconv.FormatInt(now.UnixNano(), 10),
		g.idleTTL.Milliseconds()).Text()
	if err != nil {
		return "", store.Unavailable("recording this replica", err)
	}
	return old, nil
}

// leaveScript removes a replica's heartbeat if it is this process's.
// KEYS: the replicas hash. ARGV: 1 replica id, 2 nonce.
var leaveScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and string.sub(v, 1, #ARGV[2] + 1) == ARGV[2] .. ' ' then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`)

// Leave removes this process's heartbeat: one started again at once
// with its --replica-id (a container restarted) is not its twin.
func (g *registry) Leave(ctx context.Context, id, nonce string) error {
	if err := leaveScript.Run(ctx, g.client, []string{g.replicasKey()}, id, nonce).Err(); err != nil {
		return store.Unavailable("removing this replica", err)
	}
	return nil
}

// Where names the key holding the heartbeats ("heartbeats") or the
// epoch ("epoch").
func (g *registry) Where(what string) string {
	switch what {
	case "heartbeats":
		return g.replicasKey()
	case "epoch":
		return g.epochKey()
	}
	return ""
}

// replicasKey holds each replica's heartbeat: id → "NONCE UNIXNANO".
func (g *registry) replicasKey() string {
	return strings.TrimSuffix(g.kNames, "namespaces") + "replicas"
}

// epochKey holds the epoch and time scale of the replicas' scaled
// clocks, "UNIXNANO K".
func (g *registry) epochKey() string { return strings.TrimSuffix(g.kNames, "namespaces") + "epoch" }

// Epoch is what Redis holds as the scaled clocks' epoch, "" when no
// scaled replica stored one.
func (g *registry) Epoch(ctx context.Context) (string, error) {
	got, err := g.client.Get(ctx, g.epochKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", store.Unavailable("reading the clocks' epoch", err)
	}
	return got, nil
}

// keepEpoch checks that Redis still holds mine as the epoch of the
// scaled clocks, storing it again when the key is gone (Redis was
// emptied, or restarted without persistence). It returns what Redis
// holds, and whether it was stored again.
func (g *registry) hopKey() string { return strings.TrimSuffix(g.kNames, "namespaces") + "hop" }

// KeepHopMarker is store.Registry's: SETNX of the marker key.
func (g *registry) KeepHopMarker(ctx context.Context, mine string) (string, error) {
	set, err := g.client.SetNX(ctx, g.hopKey(), mine, 0).Result()
	if err != nil {
		return "", store.Unavailable("reading the sandbox's hop marker", err)
	}
	if set {
		return mine, nil
	}
	got, err := g.client.Get(ctx, g.hopKey()).Result()
	if err != nil {
		return "", store.Unavailable("reading the sandbox's hop marker", err)
	}
	return got, nil
}

func (g *registry) KeepEpoch(ctx context.Context, mine string) (string, bool, error) {
	set, err := g.client.SetNX(ctx, g.epochKey(), mine, 0).Result()
	if err != nil {
		return "", false, store.Unavailable("checking the clocks' epoch", err)
	}
	if set {
		return mine, true, nil
	}
	got, err := g.client.Get(ctx, g.epochKey()).Result()
	if err != nil {
		return "", false, store.Unavailable("checking the clocks' epoch", err)
	}
	return got, false, nil
}
