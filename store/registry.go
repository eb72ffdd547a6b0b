package store

import (
	"context"
	"errors"
	"time"
)

// Errors of Registry.CreateNamespace, for errors.Is.
var (
	// ErrNamespaceExists: the registry holds a namespace of that name.
	ErrNamespaceExists = errors.New("namespace exists")
	// ErrNamespaceLimit: the registry holds as many namespaces as allowed.
	ErrNamespaceLimit = errors.New("namespace limit reached")
)

// Namespace is a namespace as a registry keeps it: never its token, the
// token's SHA-256.
type Namespace struct {
	// TokenSHA256 is the hex SHA-256 of the namespace's token; empty
	// when it has none.
	TokenSHA256 string `json:"token_sha256,omitempty"`
	// Created is when it was created, in UnixNano on the creating
	// replica's sandbox clock. A namespace deleted and created again has
	// another: a replica that knew the old one rebuilds its emulators.
	Created int64 `json:"created"`
	// AppSecret is the secret the namespace's v2 requests are signed
	// with (mockocean.Config.AppSecret); empty for the sandbox's. Every
	// replica must check the signatures, so it is kept as given.
	AppSecret string `json:"app_secret,omitempty"`
}

// Registry is what the replicas of a shared sandbox agree on besides the
// emulators' state: which namespaces exist (and with which token), when
// each was last used, which replicas are running, and the epoch of their
// scaled clocks. Every method may fail with an error wrapping
// ErrUnavailable. A sandbox without a Registry keeps its namespaces in
// its own process.
type Registry interface {
	// CreateNamespace adds name with ns, its last use ns.Created, unless
	// it exists (ErrNamespaceExists) or the registry holds max
	// namespaces already (ErrNamespaceLimit), in one atomic step.
	CreateNamespace(ctx context.Context, name string, ns Namespace, max int) error
	// Namespace returns name's record; ok is false when there is none.
	Namespace(ctx context.Context, name string) (ns Namespace, ok bool, err error)
	// Namespaces returns every namespace's record, by name.
	Namespaces(ctx context.Context) (map[string]Namespace, error)
	// NamespaceUses returns every namespace's last use (UnixNano), by
	// name.
	NamespaceUses(ctx context.Context) (map[string]int64, error)
	// TouchNamespace raises name's last use to at (UnixNano), if name
	// exists and at is later.
	TouchNamespace(ctx context.Context, name string, at int64) error
	// RemoveNamespace deletes name and all of its state (its emulators'
	// journals, filters, rules, configurations and deliveries); with
	// idleSince above 0, only when its last use is at or before it (an
	// idle namespace no replica used since), checked in the same step.
	// It reports whether name was removed.
	RemoveNamespace(ctx context.Context, name string, idleSince int64) (bool, error)

	// Heartbeat records that the replica id, this process being nonce,
	// is alive at now, and returns what the registry held for id before
	// ("NONCE UNIXNANO", empty for nothing): another nonce seen recently
	// is another process with the same id; nothing where this process
	// wrote before means the registry lost its data.
	Heartbeat(ctx context.Context, id, nonce string, now time.Time) (previous string, err error)
	// Leave removes id's heartbeat if it is nonce's: a process started
	// again at once with the same id is not its own twin.
	Leave(ctx context.Context, id, nonce string) error

	// KeepEpoch stores mine as the scaled clocks' epoch unless one is
	// stored, and returns the one stored and whether it was mine just
	// stored (the registry had none, or lost it).
	KeepEpoch(ctx context.Context, mine string) (got string, stored bool, err error)
	// Epoch returns the stored epoch of the scaled clocks, "" for none.
	Epoch(ctx context.Context) (string, error)
	// KeepHopMarker stores mine as the sandbox's hop marker unless one is
	// stored, and returns the one stored: every replica sends and refuses
	// the same marker, so a postback that comes back to any of them is
	// stopped as a loop (mockimpact.HopHeader).
	KeepHopMarker(ctx context.Context, mine string) (string, error)

	// Where names where the registry keeps what (the heartbeats, the
	// epoch: "heartbeats", "epoch"), for messages: a Redis key.
	Where(what string) string
}
