package sandbox

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/store"
)

// sharedCheck is how often, on the sandbox's clock, a replica on Redis
// reads the namespaces every replica shares and checks the scaled
// clocks' epoch.
const sharedCheck = time.Second

// watchShared starts the checks a replica on Redis makes in the
// background, whether or not requests come, until Close:
//   - every namespace in Redis is open here, so that its deliveries'
//     attempts are sent by this replica too (one that dies leaves them
//     to the others, even in a namespace nobody sends requests to), and
//     one deleted or expired elsewhere is closed here, its series gone;
//   - idle namespaces expire (--namespace-ttl) without a request to
//     trigger it;
//   - Redis still holds this replica's epoch of the scaled clocks.
func (sb *Sandbox) watchShared() {
	var tick func()
	tick = func() {
		select {
		case <-sb.stop:
			return
		default:
		}
		sb.checkRound(false)
		sb.heartbeat()
		sb.syncNamespaces()
		sb.expire()
		sb.keepEpoch()
		sb.checkRound(true)
		sb.clock.AfterFunc(sharedCheck, tick)
	}
	go tick()
}

// checkRound counts a round of the shared checks started, or done, and
// wakes those waiting for one: the tests, which wait for rounds rather
// than for time.
func (sb *Sandbox) checkRound(done bool) {
	sb.checksMu.Lock()
	defer sb.checksMu.Unlock()
	if done {
		sb.checksDone++
	} else {
		sb.checksStarted++
	}
	if sb.checked != nil {
		close(sb.checked)
	}
	sb.checked = make(chan struct{})
}

// checkRounds returns the rounds of shared checks started and done, and
// a channel closed at the next start or end of one.
func (sb *Sandbox) checkRounds() (started, done int64, changed <-chan struct{}) {
	sb.checksMu.Lock()
	defer sb.checksMu.Unlock()
	if sb.checked == nil {
		sb.checked = make(chan struct{})
	}
	return sb.checksStarted, sb.checksDone, sb.checked
}

// heartbeat records this replica in Redis each check, and reads what it
// replaces: another process's recent heartbeat under the same
// --replica-id (their leases and "replica" fields would be confused), or
// none at all where this replica wrote one (Redis lost its data), is
// logged, once each.
func (sb *Sandbox) heartbeat() {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	now := sb.now()
	old, err := sb.reg.Heartbeat(ctx, sb.cfg.ReplicaID, sb.nonce, now)
	if err != nil {
		return
	}
	log := sb.cfg.Logger
	nonce, at, _ := strings.Cut(old, " ")
	when, _ := strconv.ParseInt(at, 10, 64)
	switch {
	case log == nil:
	case old == "" && sb.beating:
		log.Warn("Redis has lost its data (emptied, or restarted without persistence): the namespaces, journals, duplicate filters, fault rules, postback configurations and pending deliveries it held are gone",
			"key", sb.reg.Where("heartbeats"))
	case old != "" && nonce != sb.nonce && now.Sub(time.Unix(0, when)) < 3*sharedCheck && !sb.twinSeen:
		sb.twinSeen = true
		log.Error("another running replica has this --replica-id: their attempts and leases are confused; give each replica its own", "replica_id", sb.cfg.ReplicaID)
	}
	sb.beating = true
}

// leave removes this replica's heartbeat, on Close.
func (sb *Sandbox) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	_ = sb.reg.Leave(ctx, sb.cfg.ReplicaID, sb.nonce)
}

// syncNamespaces makes the namespaces open here those Redis holds.
func (sb *Sandbox) syncNamespaces() {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	began := sb.now().UnixNano()
	sb.mu.Lock()
	removals := sb.removals
	sb.mu.Unlock()
	recs, err := sb.reg.Namespaces(ctx)
	if err != nil {
		return // Redis does not answer: the next check
	}
	for name, rec := range recs {
		sb.adoptListed(name, rec, removals, sb.now().UnixNano())
	}
	for _, t := range sb.tenantList() {
		// One created here since the list was read is in Redis already.
		if _, ok := recs[t.Name]; !ok && t.Name != DefaultNamespace && t.checked.Load() < began {
			sb.adopt(t.Name, store.Namespace{}, false, sb.now().UnixNano())
		}
	}
}

// checkScaledReplicas warns, once for each epoch it finds, a replica on
// the wall clock that replicas on a scaled clock share Redis with (before
// or after it started): their attempts go at other moments.
func (sb *Sandbox) checkScaledReplicas() {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	got, err := sb.reg.Epoch(ctx)
	if err != nil || got == "" || got == sb.epochSeen {
		return
	}
	sb.epochSeen = got
	if _, k, _ := strings.Cut(got, " "); k != "1" {
		warnScale(sb.reg, 1, k, sb.cfg.Logger)
	}
}

// keepEpoch checks that Redis holds the scaled clocks' epoch this replica
// runs on: it stores it again when Redis lost it, and says once when
// Redis holds another (the replicas' schedules then disagree).
func (sb *Sandbox) keepEpoch() {
	if sb.wallClock {
		sb.checkScaledReplicas()
		return
	}
	if sb.epochVal == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	got, restored, err := sb.reg.KeepEpoch(ctx, sb.epochVal)
	log := sb.cfg.Logger
	switch {
	case err != nil || log == nil:
	case restored:
		log.Warn("Redis had lost the scaled clocks' epoch (emptied or restarted without persistence): stored this replica's again", "epoch", sb.epochVal, "key", sb.reg.Where("epoch"))
	case got != sb.epochVal && got != sb.epochSeen:
		log.Error("the replicas disagree on the scaled impact clock: Redis holds another epoch than this replica runs on (Redis was emptied while replicas ran?), so their attempts go at other times; restart every replica",
			"this_replica", sb.epochVal, "redis", got, "key", sb.reg.Where("epoch"))
	}
	if err == nil {
		sb.epochSeen = got
	}
}

// epoch returns the epoch of the replicas' scaled clocks, the first
// replica's start, kept in the registry with its time scale, and the
// value stored. A replica started with another --time-scale is warned
// (its schedule would not agree); when the registry does not answer, it
// is this replica's start.
func epoch(reg store.Registry, scale float64, logger *slog.Logger) (time.Time, string) {
	now := time.Now() // the wall clock: the epoch of a scaled clock is a wall time
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	val := strconv.FormatInt(now.UnixNano(), 10) + " " + strconv.FormatFloat(scale, 'g', -1, 64)
	got, _, err := reg.KeepEpoch(ctx, val) // stored unless a replica did first
	ns, k, ok := strings.Cut(got, " ")
	at, err2 := strconv.ParseInt(ns, 10, 64)
	if err != nil || !ok || err2 != nil {
		return now, val
	}
	warnScale(reg, scale, k, logger)
	return time.Unix(0, at), got
}

// warnScale warns when the replicas sharing the registry run a time
// scale (theirs) other than this replica's.
func warnScale(reg store.Registry, scale float64, theirs string, logger *slog.Logger) {
	if theirs != strconv.FormatFloat(scale, 'g', -1, 64) && logger != nil {
		logger.Warn("the replicas on this Redis run another --time-scale: impact attempts will be sent at other times than they agree", "time_scale", scale, "theirs", theirs, "key", reg.Where("epoch"))
	}
}
