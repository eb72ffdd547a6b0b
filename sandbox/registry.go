package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/postbacksim/postbacksim/store"
)

// namespaceRecheck is how long a replica trusts what it knows of a
// namespace before asking the registry again whether it still exists
// (and with which token): a namespace deleted on one replica is gone from
// the others within it.
const namespaceRecheck = time.Second

// usedEvery is how often a replica writes a namespace's last use to the
// registry, at most.
const usedEvery = time.Second

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
	t := sb.tenantMap()[name]
	if sb.reg == nil || name == DefaultNamespace {
		return t, nil
	}
	now := sb.now().UnixNano()
	if t != nil && now-t.checked.Load() < int64(namespaceRecheck) {
		return t, nil
	}
	rec, ok, err := sb.reg.Namespace(context.Background(), name)
	if err != nil {
		return nil, err
	}
	// Checked once read (see createShared).
	return sb.adopt(name, rec, ok, sb.now().UnixNano()), nil
}

// tenantMap is the namespaces by name, to read only: a change stores
// another map.
func (sb *Sandbox) tenantMap() map[string]*Tenant { return *sb.tenants.Load() }

// setTenantLocked makes t the namespace name; sb.mu is held. The map is
// copied: a sandbox holds a few dozen namespaces at most
// (MaxNamespaces), and they change seldom.
func (sb *Sandbox) setTenantLocked(name string, t *Tenant) {
	m := maps.Clone(sb.tenantMap())
	m[name] = t
	sb.tenants.Store(&m)
}

// deleteTenantLocked removes the namespace name; sb.mu is held.
func (sb *Sandbox) deleteTenantLocked(name string) {
	m := maps.Clone(sb.tenantMap())
	delete(m, name)
	sb.tenants.Store(&m)
}

// adopt makes this replica's namespace name agree with Redis's record
// (ok false: none), and returns it.
func (sb *Sandbox) adopt(name string, rec store.Namespace, ok bool, now int64) *Tenant {
	return sb.adoptSince(name, rec, ok, -1, now)
}

// adoptListed adopts name as a list of the namespaces read when this
// replica had removed removals of them holds it: not when one was removed
// here since (the list may be older than its removal).
func (sb *Sandbox) adoptListed(name string, rec store.Namespace, removals, now int64) {
	sb.adoptSince(name, rec, true, removals, now)
}

func (sb *Sandbox) adoptSince(name string, rec store.Namespace, ok bool, removals, now int64) *Tenant {
	sb.mu.Lock()
	t := sb.tenantMap()[name]
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
			sb.deleteTenantLocked(name)
			sb.removals++
			gone, t = t, nil
		}
	case t == nil || t.created.UnixNano() != rec.Created: // new here, or deleted and created again
		gone = t
		t = sb.newTenant(name, rec.AppSecret)
		t.appSecret = rec.AppSecret != ""
		t.created = time.Unix(0, rec.Created)
		t.lastUsed.Store(max(rec.Created, now))
		if rec.TokenSHA256 != "" {
			h, err := hex.DecodeString(rec.TokenSHA256)
			if err != nil || len(h) != sha256.Size {
				h = make([]byte, sha256.Size) // unreadable: no token opens it, the admin token does
			}
			t.tokenHash = h
		}
		sb.setTenantLocked(name, t)
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
func (sb *Sandbox) createShared(ctx context.Context, spec NamespaceSpec) (*Tenant, error) {
	name, token := spec.Name, spec.Token
	now := sb.now().UnixNano()
	rec := store.Namespace{Created: now, AppSecret: spec.AppSecret}
	if h := tokenHash(token); h != nil {
		rec.TokenSHA256 = hex.EncodeToString(h)
	}
	if err := sb.reg.CreateNamespace(ctx, name, rec, sb.cfg.MaxNamespaces); err != nil {
		return nil, err
	}
	// Checked now, after Redis has it: a check of the watcher that read
	// the names before it did began before this (syncNamespaces).
	return sb.adopt(name, rec, true, sb.now().UnixNano()), nil
}

// sharedNamespace returns name, creating it in Redis without a token if
// no replica has.
func (sb *Sandbox) sharedNamespace(ctx context.Context, name string) (*Tenant, error) {
	if t, err := sb.resolve(name); err != nil || t != nil {
		return t, err
	}
	t, err := sb.createShared(ctx, NamespaceSpec{Name: name})
	if errors.Is(err, ErrNamespaceExists) { // another replica created it meanwhile
		if t := sb.tenantMap()[name]; t != nil {
			t.checked.Store(0)
		}
		if t, err = sb.resolve(name); err == nil && t == nil {
			err = fmt.Errorf("namespace %q: deleted by another replica while being created: %w", name, ErrNamespaceNotFound)
		}
	}
	return t, err
}

// sharedNamespaces describes the namespaces Redis holds, and the default
// one.
func (sb *Sandbox) sharedNamespaces(ctx context.Context) ([]NamespaceInfo, error) {
	recs, err := sb.reg.Namespaces(ctx)
	if err != nil {
		return nil, err
	}
	used, err := sb.reg.NamespaceUses(ctx)
	if err != nil {
		return nil, err
	}
	local := sb.tenantMap()
	out := []NamespaceInfo{sb.info(local[DefaultNamespace])}
	for name, rec := range recs {
		last := max(used[name], rec.Created)
		if t := local[name]; t != nil && t.created.UnixNano() == rec.Created {
			last = max(last, t.lastUsed.Load())
		}
		in := sb.infoOf(name, rec.TokenSHA256 != "", time.Unix(0, rec.Created), time.Unix(0, last))
		in.AppSecretSet = rec.AppSecret != ""
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// expireShared removes the namespaces Redis says are idle for ttl,
// unless this replica used them since (it then tells Redis).
func (sb *Sandbox) expireShared(now time.Time, ttl time.Duration) {
	ctx := context.Background()
	used, err := sb.reg.NamespaceUses(ctx)
	if err != nil {
		return // Redis does not answer: the next check
	}
	cutoff := now.Add(-ttl).UnixNano()
	for name, last := range used {
		if last > cutoff {
			continue
		}
		t := sb.tenantMap()[name]
		if t != nil && t.lastUsed.Load() > cutoff {
			_ = sb.reg.TouchNamespace(ctx, name, t.lastUsed.Load())
			continue
		}
		if removed, err := sb.reg.RemoveNamespace(ctx, name, cutoff); err == nil && removed {
			sb.adopt(name, store.Namespace{}, false, now.UnixNano())
		}
	}
}
