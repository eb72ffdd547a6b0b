package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/mockocean"
)

// registryTag is the hash tag of the sandbox's own keys: no namespace can
// be named so (a name starts with a letter or a digit).
const registryTag = "_sandbox"

// namespaceRecheck is how long a replica trusts what it knows of a
// namespace before asking Redis again whether it still exists (and with
// which token): a namespace deleted on one replica is gone from the
// others within it.
const namespaceRecheck = time.Second

// usedEvery is how often a replica writes a namespace's last use to
// Redis, at most.
const usedEvery = time.Second

// namespaceRecord is a namespace as Redis keeps it: never its token, the
// token's SHA-256.
type namespaceRecord struct {
	// TokenSHA256 is the hex SHA-256 of the namespace's token; empty when
	// it has none.
	TokenSHA256 string `json:"token_sha256,omitempty"`
	// Created is when it was created, in UnixNano on the creating
	// replica's sandbox clock.
	Created int64 `json:"created"`
}

// registry keeps the namespaces in Redis, shared by the replicas: a hash
// of records by name, and a hash of last uses (UnixNano) by name.
type registry struct {
	client  *redis.Client
	store   *mockocean.RedisStore // for each namespace's key prefix
	kNames  string
	kUsed   string
	idleTTL time.Duration
}

// newRegistry returns the registry on store's Redis, or nil when store
// is not a Redis store.
func newRegistry(store mockocean.Store) *registry {
	rs, ok := store.(*mockocean.RedisStore)
	if !ok {
		return nil
	}
	p := rs.Namespace(registryTag).(*mockocean.RedisStore).Prefix()
	return &registry{client: rs.Client(), store: rs, kNames: p + "namespaces", kUsed: p + "namespaces:used", idleTTL: rs.IdleTTL()}
}

func registryError(what string, err error) error {
	return fmt.Errorf("%s: %w: %w", what, mockocean.ErrStoreUnavailable, err)
}

// createScript adds a namespace unless it exists (1) or the registry
// holds ARGV[3] already (2).
//
// KEYS: names hash, used hash. ARGV: 1 name, 2 record, 3 the most
// namespaces, 4 now (UnixNano), 5 TTL (ms).
var createScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 0
`)

// create adds name with rec; it fails with ErrNamespaceExists or
// ErrNamespaceLimit (max namespaces) as in memory.
func (g *registry) create(ctx context.Context, name string, rec namespaceRecord, max int) error {
	b, _ := json.Marshal(rec) // a string and a number: never fails
	n, err := createScript.Run(ctx, g.client, []string{g.kNames, g.kUsed}, name, b, max, rec.Created, g.idleTTL.Milliseconds()).Int()
	switch {
	case err != nil:
		return registryError("creating namespace "+name, err)
	case n == 1:
		return fmt.Errorf("namespace %q: %w", name, ErrNamespaceExists)
	case n == 2:
		return fmt.Errorf("namespace %q: the sandbox already holds %d namespaces under /ns/ (--max-namespaces): %w", name, max, ErrNamespaceLimit)
	}
	return nil
}

// get returns name's record; ok is false when there is none.
func (g *registry) get(ctx context.Context, name string) (rec namespaceRecord, ok bool, err error) {
	b, err := g.client.HGet(ctx, g.kNames, name).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return rec, false, nil
	case err != nil:
		return rec, false, registryError("reading namespace "+name, err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, false, fmt.Errorf("namespace %s: stored record: %w", name, err)
	}
	return rec, true, nil
}

// lastUsed returns every namespace's last use (UnixNano).
func (g *registry) lastUsed(ctx context.Context) (map[string]int64, error) {
	m, err := g.client.HGetAll(ctx, g.kUsed).Result()
	if err != nil {
		return nil, registryError("reading namespace uses", err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		n, _ := strconv.ParseInt(v, 10, 64)
		out[k] = n
	}
	return out, nil
}

// names returns every namespace's record.
func (g *registry) names(ctx context.Context) (map[string]namespaceRecord, error) {
	m, err := g.client.HGetAll(ctx, g.kNames).Result()
	if err != nil {
		return nil, registryError("listing namespaces", err)
	}
	out := make(map[string]namespaceRecord, len(m))
	for k, v := range m {
		var rec namespaceRecord
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			return nil, fmt.Errorf("namespace %s: stored record: %w", k, err)
		}
		out[k] = rec
	}
	return out, nil
}

// touchScript raises a namespace's last use, if it exists.
var touchScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) > old then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`)

// touch records a use of name at now (UnixNano).
func (g *registry) touch(ctx context.Context, name string, now int64) error {
	if err := touchScript.Run(ctx, g.client, []string{g.kNames, g.kUsed}, name, now, g.idleTTL.Milliseconds()).Err(); err != nil {
		return registryError("recording a use of namespace "+name, err)
	}
	return nil
}

// removeScript removes a namespace; with ARGV[2] > 0, only when its last
// use is at or before ARGV[2] (an idle one). It returns 1 when removed.
var removeScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local cutoff = tonumber(ARGV[2])
if cutoff > 0 and tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') > cutoff then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`)

// remove deletes name and every key of its state (the Ocean journal,
// duplicate filter and fault rules, the postback configurations). With
// idleSince not zero, only if it has not been used after it. It reports
// whether it was removed.
func (g *registry) remove(ctx context.Context, name string, idleSince int64) (bool, error) {
	n, err := removeScript.Run(ctx, g.client, []string{g.kNames, g.kUsed}, name, idleSince).Int()
	if err != nil {
		return false, registryError("deleting namespace "+name, err)
	}
	if n == 0 {
		return false, nil
	}
	return true, g.dropState(ctx, name)
}

// dropState deletes the keys of name's state.
func (g *registry) dropState(ctx context.Context, name string) error {
	prefix := g.store.Namespace(name).(*mockocean.RedisStore).Prefix()
	iter := g.client.Scan(ctx, 0, globEscape(prefix)+"*", 100).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return registryError("listing the keys of namespace "+name, err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		if err := g.client.Del(ctx, keys[:n]...).Err(); err != nil {
			return registryError("deleting the keys of namespace "+name, err)
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

// heartbeat records that replica id (this process: nonce) is alive at
// now, and returns what the hash held for id before.
func (g *registry) heartbeat(ctx context.Context, id, nonce string, now time.Time) (string, error) {
	old, err := heartbeatScript.Run(ctx, g.client, []string{g.replicasKey()}, id, nonce+" "+strconv.FormatInt(now.UnixNano(), 10),
		g.idleTTL.Milliseconds()).Text()
	if err != nil {
		return "", registryError("recording this replica", err)
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

// leave removes this process's heartbeat: one started again at once
// with its --replica-id (a container restarted) is not its twin.
func (g *registry) leave(ctx context.Context, id, nonce string) error {
	if err := leaveScript.Run(ctx, g.client, []string{g.replicasKey()}, id, nonce).Err(); err != nil {
		return registryError("removing this replica", err)
	}
	return nil
}

// replicasKey holds each replica's heartbeat: id → "NONCE UNIXNANO".
func (g *registry) replicasKey() string {
	return strings.TrimSuffix(g.kNames, "namespaces") + "replicas"
}

// epochKey holds the epoch and time scale of the replicas' scaled
// clocks, "UNIXNANO K".
func (g *registry) epochKey() string { return strings.TrimSuffix(g.kNames, "namespaces") + "epoch" }

// epoch returns the epoch of the replicas' scaled clocks, the first
// replica's start, kept in Redis with its time scale, and the value
// stored. A replica started with another --time-scale is warned (its
// schedule would not agree); without Redis, it is this replica's start.
func (g *registry) epoch(scale float64, logger *slog.Logger) (time.Time, string) {
	now := time.Now() // the wall clock: the epoch of a scaled clock is a wall time
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	val := strconv.FormatInt(now.UnixNano(), 10) + " " + strconv.FormatFloat(scale, 'g', -1, 64)
	got, _, err := g.keepEpoch(ctx, val) // stored unless a replica did first
	ns, k, ok := strings.Cut(got, " ")
	epoch, err2 := strconv.ParseInt(ns, 10, 64)
	if err != nil || !ok || err2 != nil {
		return now, val
	}
	g.warnScale(scale, k, logger)
	return time.Unix(0, epoch), got
}

// warnScale warns when the replicas on this Redis run a time scale
// (theirs) other than this replica's.
func (g *registry) warnScale(scale float64, theirs string, logger *slog.Logger) {
	if theirs != strconv.FormatFloat(scale, 'g', -1, 64) && logger != nil {
		logger.Warn("the replicas on this Redis run another --time-scale: impact attempts will be sent at other times than they agree", "time_scale", scale, "theirs", theirs, "key", g.epochKey())
	}
}

// scaledEpoch is what Redis holds as the scaled clocks' epoch, "" when
// no scaled replica stored one.
func (g *registry) scaledEpoch(ctx context.Context) (string, error) {
	got, err := g.client.Get(ctx, g.epochKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", registryError("reading the clocks' epoch", err)
	}
	return got, nil
}

// keepEpoch checks that Redis still holds mine as the epoch of the
// scaled clocks, storing it again when the key is gone (Redis was
// emptied, or restarted without persistence). It returns what Redis
// holds, and whether it was stored again.
func (g *registry) keepEpoch(ctx context.Context, mine string) (string, bool, error) {
	set, err := g.client.SetNX(ctx, g.epochKey(), mine, 0).Result()
	if err != nil {
		return "", false, registryError("checking the clocks' epoch", err)
	}
	if set {
		return mine, true, nil
	}
	got, err := g.client.Get(ctx, g.epochKey()).Result()
	if err != nil {
		return "", false, registryError("checking the clocks' epoch", err)
	}
	return got, false, nil
}

// tokenHash is the SHA-256 of a namespace token, nil for none.
func tokenHash(token string) []byte {
	if token == "" {
		return nil
	}
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// resolve returns the named namespace as Redis knows it, or nil when it
// does not exist: a namespace created on another replica is built here
// on first use, one deleted there is dropped here. What this replica
// knows is trusted for namespaceRecheck. Without a registry it is the
// map's entry. The error is Redis's.
func (sb *Sandbox) resolve(name string) (*Tenant, error) {
	sb.mu.Lock()
	t := sb.tenants[name]
	sb.mu.Unlock()
	if sb.reg == nil || name == DefaultNamespace {
		return t, nil
	}
	now := sb.now().UnixNano()
	if t != nil && now-t.checked.Load() < int64(namespaceRecheck) {
		return t, nil
	}
	rec, ok, err := sb.reg.get(context.Background(), name)
	if err != nil {
		return nil, err
	}
	// Checked once read (see createShared).
	return sb.adopt(name, rec, ok, sb.now().UnixNano()), nil
}

// adopt makes this replica's namespace name agree with Redis's record
// (ok false: none), and returns it.
func (sb *Sandbox) adopt(name string, rec namespaceRecord, ok bool, now int64) *Tenant {
	return sb.adoptSince(name, rec, ok, -1, now)
}

// adoptListed adopts name as a list of the namespaces read when this
// replica had removed removals of them holds it: not when one was removed
// here since (the list may be older than its removal).
func (sb *Sandbox) adoptListed(name string, rec namespaceRecord, removals, now int64) {
	sb.adoptSince(name, rec, true, removals, now)
}

func (sb *Sandbox) adoptSince(name string, rec namespaceRecord, ok bool, removals, now int64) *Tenant {
	sb.mu.Lock()
	t := sb.tenants[name]
	if sb.closed || t == nil && removals >= 0 && sb.removals != removals {
		// Closed: every dispatcher is, none is started again. Removed
		// here since the list was read: the next check has it right.
		sb.mu.Unlock()
		return t
	}
	var gone *Tenant
	switch {
	case !ok:
		if t != nil {
			delete(sb.tenants, name)
			sb.removals++
			gone, t = t, nil
		}
	case t == nil || t.created.UnixNano() != rec.Created: // new here, or deleted and created again
		gone = t
		t = sb.newTenant(name)
		t.created = time.Unix(0, rec.Created)
		t.lastUsed.Store(max(rec.Created, now))
		if rec.TokenSHA256 != "" {
			h, err := hex.DecodeString(rec.TokenSHA256)
			if err != nil || len(h) != sha256.Size {
				h = make([]byte, sha256.Size) // unreadable: no token opens it, the admin token does
			}
			t.tokenHash = h
		}
		sb.tenants[name] = t
	}
	if t != nil {
		t.checked.Store(now)
	}
	sb.mu.Unlock()
	if gone != nil {
		sb.dropTenant(gone)
	}
	return t
}

// createShared creates name in Redis, for every replica.
func (sb *Sandbox) createShared(name, token string) (*Tenant, error) {
	now := sb.now().UnixNano()
	rec := namespaceRecord{Created: now}
	if h := tokenHash(token); h != nil {
		rec.TokenSHA256 = hex.EncodeToString(h)
	}
	if err := sb.reg.create(context.Background(), name, rec, sb.cfg.MaxNamespaces); err != nil {
		return nil, err
	}
	// Checked now, after Redis has it: a check of the watcher that read
	// the names before it did began before this (syncNamespaces).
	return sb.adopt(name, rec, true, sb.now().UnixNano()), nil
}

// sharedNamespace returns name, creating it in Redis without a token if
// no replica has.
func (sb *Sandbox) sharedNamespace(name string) (*Tenant, error) {
	if t, err := sb.resolve(name); err != nil || t != nil {
		return t, err
	}
	t, err := sb.createShared(name, "")
	if errors.Is(err, ErrNamespaceExists) { // another replica created it meanwhile
		sb.mu.Lock()
		if t := sb.tenants[name]; t != nil {
			t.checked.Store(0)
		}
		sb.mu.Unlock()
		if t, err = sb.resolve(name); err == nil && t == nil {
			err = fmt.Errorf("namespace %q: deleted by another replica while being created: %w", name, ErrNamespaceNotFound)
		}
	}
	return t, err
}

// sharedNamespaces describes the namespaces Redis holds, and the default
// one.
func (sb *Sandbox) sharedNamespaces() ([]NamespaceInfo, error) {
	ctx := context.Background()
	recs, err := sb.reg.names(ctx)
	if err != nil {
		return nil, err
	}
	used, err := sb.reg.lastUsed(ctx)
	if err != nil {
		return nil, err
	}
	sb.mu.Lock()
	local := maps.Clone(sb.tenants)
	sb.mu.Unlock()
	out := []NamespaceInfo{sb.info(local[DefaultNamespace])}
	for name, rec := range recs {
		last := max(used[name], rec.Created)
		if t := local[name]; t != nil && t.created.UnixNano() == rec.Created {
			last = max(last, t.lastUsed.Load())
		}
		out = append(out, sb.infoOf(name, rec.TokenSHA256 != "", time.Unix(0, rec.Created), time.Unix(0, last)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// expireShared removes the namespaces Redis says are idle for ttl,
// unless this replica used them since (it then tells Redis).
func (sb *Sandbox) expireShared(now time.Time, ttl time.Duration) {
	ctx := context.Background()
	used, err := sb.reg.lastUsed(ctx)
	if err != nil {
		return // Redis does not answer: the next check
	}
	cutoff := now.Add(-ttl).UnixNano()
	for name, last := range used {
		if last > cutoff {
			continue
		}
		sb.mu.Lock()
		t := sb.tenants[name]
		sb.mu.Unlock()
		if t != nil && t.lastUsed.Load() > cutoff {
			_ = sb.reg.touch(ctx, name, t.lastUsed.Load())
			continue
		}
		if removed, err := sb.reg.remove(ctx, name, cutoff); err == nil && removed {
			sb.adopt(name, namespaceRecord{}, false, now.UnixNano())
		}
	}
}

// storeFailed answers HTTP 503 for an error of the state store (Redis).
func storeFailed(w http.ResponseWriter, err error) {
	w.Header().Set("Retry-After", "1")
	httpjson.Error(w, http.StatusServiceUnavailable, err.Error())
}
