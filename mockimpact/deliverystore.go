package mockimpact

import (
	"context"
	"encoding/json"
	"time"
)

// DeliveryStore keeps a dispatcher's deliveries and their pending
// attempts: the delivery journal, and the schedule the dispatcher claims
// due attempts from. MemoryDeliveries keeps them in the process; a store
// shared by several dispatchers (package redisstore) lets any of them
// send an attempt when it is due. An error of a store that cannot be
// reached wraps store.ErrUnavailable; one that holds a record it cannot
// read back (damaged, or written by an incompatible version) says so in
// an error of its own.
//
// Due times are on the dispatcher's clock; dispatchers sharing a store
// need clocks that agree (the wall clock, or scaled clocks of the same
// factor and epoch).
type DeliveryStore interface {
	// NextID numbers a new delivery: "d000001", "d000002", …, unique in
	// the store.
	NextID(ctx context.Context) (string, error)
	// Add stores a new delivery, its first attempt due at d.Scheduled.
	// The store may keep d: the caller does not change it afterwards.
	Add(ctx context.Context, d *StoredDelivery) error
	// Claim takes up to most attempts due at now, ordered by due time,
	// ties in the order they were scheduled (a shared store may order
	// them by delivery ID instead): each is the caller's until
	// it is journaled (Finish) or, with a Sharing().Lease, until its
	// claim lapses. next is when the earliest attempt left is due; ok is
	// false when none is.
	Claim(ctx context.Context, now time.Time, most int) (claims []Claim, next time.Time, ok bool, err error)
	// Renew extends the claim on delivery id's attempt from now; it
	// reports false when the claim was lost (it lapsed and another
	// dispatcher took the attempt).
	Renew(ctx context.Context, id string, now time.Time) (bool, error)
	// Finish journals the attempt just appended to d.Attempts of a
	// claimed delivery and releases the claim. next is when the following
	// attempt is due (d.Scheduled becomes it); nil means the delivery
	// ended, d.Outcome set. Past
	// most deliveries (0: no bound) the oldest ended ones are forgotten.
	// It reports false, journaling nothing, when the claim was lost. A
	// store that was stopped (Stop) cancelling its pending deliveries
	// ends d cancelled and amends its last attempt (Retry false, Next
	// nil): d is then as journaled. The store may keep d: the caller
	// reads it afterwards, never changes it.
	Finish(ctx context.Context, d *StoredDelivery, next *time.Time, most int) (bool, error)
	// Load returns delivery id; ok is false when the store has none
	// (never made, or forgotten). The delivery is a copy the caller may
	// change, and append attempts to; the attempts it holds may be the
	// store's, so the caller never changes one of them.
	Load(ctx context.Context, id string) (d *StoredDelivery, ok bool, err error)
	// All returns every delivery, oldest first. They may be the store's
	// own: the caller reads them, never changes them.
	All(ctx context.Context) ([]*StoredDelivery, error)
	// Stats counts the deliveries, the pending ones, the attempts
	// journaled and the deliveries forgotten for the bound.
	Stats(ctx context.Context) (Stats, error)
	// RetryNow moves the attempt of delivery id that waits for its due
	// time (scheduled, not claimed) to now. It reports false when there
	// is no such attempt: the delivery has ended, or its attempt is
	// claimed, or there is no delivery id.
	RetryNow(ctx context.Context, id string, now time.Time) (bool, error)
	// Reset forgets the ended deliveries; the pending ones stay.
	Reset(ctx context.Context) error
	// Stop tells the store that its dispatcher stops. What becomes of the
	// pending deliveries is the store's decision: one that only this
	// dispatcher uses cancels them (nobody else will send them) and
	// returns how many; a shared one leaves them to the other dispatchers
	// and returns 0.
	Stop(ctx context.Context) (cancelled int, err error)
	// Sharing says how the store is shared with other dispatchers.
	Sharing() Sharing
}

// StoredDelivery is a delivery as a DeliveryStore keeps it. Its JSON
// encoding is what a shared store writes.
type StoredDelivery struct {
	Delivery
	// Postback is the configuration its attempts use, as a ConfigStore
	// keeps it (the JSON of Compiled.Postback).
	Postback json.RawMessage `json:"postback"`
	// Scheduled is when the next attempt is due.
	Scheduled time.Time `json:"scheduled"`
	// Payload is the event, in JSON, when the dispatcher needs it again:
	// a PENDING publisher_application that will be updated, and the
	// update.
	Payload json.RawMessage `json:"payload,omitempty"`

	// compiled is this process's compiled Postback, when the delivery
	// was made here and its store kept it in memory: a cache that spares
	// the dispatcher finding the configuration by its text.
	compiled *postbackState
}

// Claim is an attempt a dispatcher claimed from a DeliveryStore.
type Claim struct {
	// ID is the delivery's.
	ID string
	// TakenOverFrom names the replica whose claim on the attempt lapsed
	// before it journaled it; empty when none had claimed it.
	TakenOverFrom string
}

// Sharing says how a DeliveryStore is shared with other dispatchers. The
// zero value is a store only this dispatcher uses (MemoryDeliveries).
type Sharing struct {
	// Replica is this process's name in the attempts it sends
	// (Attempt.Replica); empty for none.
	Replica string
	// Lease is how long a claim holds, on the dispatcher's clock: the
	// dispatcher renews it every third of it while the attempt is in
	// progress. 0 means claims never lapse, and are not renewed.
	Lease time.Duration
	// Poll is how often, on the dispatcher's clock, the dispatcher looks
	// for attempts the other dispatchers scheduled, and reads the counts
	// its waits are for; up to 4 times less often while the store holds
	// no attempt at all. 0 means never: only this dispatcher schedules.
	Poll time.Duration
}

// DefaultLease is how long a replica holds an attempt it claimed from a
// shared store before another may take it over (ScheduleOptions.Lease).
const DefaultLease = 10 * time.Second

// DefaultPoll is how often, in wall time, a dispatcher on a shared store
// looks for the attempts other replicas scheduled
// (ScheduleOptions.Poll).
const DefaultPoll = 200 * time.Millisecond

// ScheduleOptions say how a dispatcher shares a DeliveryStore with
// others; a store that opens a shared schedule takes them
// (redisstore.Store.ImpactDeliveries). MemoryDeliveries needs none.
type ScheduleOptions struct {
	// Replica names this process in the attempts it sends; empty means
	// "replica".
	Replica string
	// Lease bounds how late an attempt is when the replica that claimed
	// it dies: another takes it over after it, in wall time. 0 means
	// DefaultLease.
	Lease time.Duration
	// Poll is how often the attempts other replicas scheduled are looked
	// for, in wall time; 0 means DefaultPoll.
	Poll time.Duration
	// Scale is how much faster than the wall clock the dispatcher's clock
	// runs (the sandbox's --time-scale): Lease and Poll are converted to
	// its terms with it. ≤ 1 means 1.
	Scale float64
}
