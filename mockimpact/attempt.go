package mockimpact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
)

// inflight is a claimed attempt on its way: its delivery as loaded, the
// configuration it is sent with.
type inflight struct {
	rec     *StoredDelivery
	ps      *postbackState
	from    string        // Claim.TakenOverFrom
	limited time.Duration // how long the rate limit held it
	release func()        // stops renewing the claim (a Sharing().Lease)
}

// stop says the attempt is over: its claim is no longer renewed.
func (at *inflight) stop() {
	if at.release != nil {
		at.release()
	}
}

// due runs when a claimed attempt is due: the rate limit may hold it back.
func (d *Dispatcher) due(at *inflight) {
	now := d.clock.Now()
	at.limited = 0
	if lim := at.ps.limiter; lim != nil {
		if wait := lim.ReserveN(now, 1).DelayFrom(now); wait > 0 {
			at.limited = wait
			d.release() // held back: its slot's room goes to others meanwhile
			if d.isClosed() {
				at.stop()
				return
			}
			d.clock.AfterFunc(wait, func() {
				d.acquire()
				d.send(at)
			})
			return
		}
	}
	d.send(at)
}

// send makes one attempt, once a slot is free (live).
func (d *Dispatcher) send(at *inflight) {
	defer d.release()
	var queued time.Duration
	if d.slots != nil {
		wait := d.clock.Now()
		select {
		case d.slots <- struct{}{}:
		case <-d.done: // closed while waiting: the store's Stop decides what becomes of it
			at.stop()
			return
		}
		defer func() { <-d.slots }()
		queued = d.clock.Now().Sub(wait)
	}
	start := d.clock.Now()
	if d.isClosed() {
		at.stop()
		return
	}
	rec := at.rec
	n := len(rec.Attempts) + 1
	a := Attempt{DeliveryID: rec.ID, Event: rec.Event, N: n, Scheduled: rec.Scheduled, Actual: start,
		RateLimited: at.limited, Queued: queued}
	if n > 1 {
		a.Offset = start.Sub(rec.Attempts[0].Actual)
	}

	c := at.ps.c
	actx := &attemptContext{Context: context.Background(), info: AttemptInfo{DeliveryID: rec.ID, Event: rec.Event, N: n}}
	var hop string
	if d.hop != "" || len(rec.Hops) > 0 {
		hop = HopValue(rec.Hops, d.hop)
	}
	var x exchange
	req, err := rec.Request.request(actx, hop)
	if err != nil {
		x.invalidURL = err
		d.finish(at, a, x, 0)
		return
	}
	host := req.URL.Hostname()
	ip, err := netip.ParseAddr(host)
	isIP := err == nil && ip.Zone() == "" // as net.ParseIP reads it
	var addrs []string
	if !isIP {
		var err error
		addrs, err = d.resolver.LookupHost(actx, host)
		var dnsErr *net.DNSError
		switch {
		case err != nil && errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary) && !dnsErr.IsNotFound:
			x.netErr = fmt.Errorf("resolving %s: %w", host, err)
		case err != nil:
			x.dnsErr = err
		case len(addrs) == 0:
			x.dnsErr = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		if x.dnsErr != nil || x.netErr != nil {
			d.finish(at, a, x, 0)
			return
		}
	}
	if d.policy.Enabled() {
		if isIP {
			addrs = []string{host}
		}
		allowed, err := d.policy.checkResolved(addrs, urlPort(req.URL))
		if err != nil {
			x.blocked = err
			d.finish(at, a, x, 0)
			return
		}
		addrs = allowed
	}
	if !isIP || d.policy.Enabled() {
		actx.resolved, actx.isResolved = resolved{host: host, addrs: addrs}, true // before the request is sent
	}

	if d.sim != nil {
		resp, latency, err := d.sim.Simulate(req, c.Timeout.D())
		var buf *bytes.Buffer
		if err == nil {
			x.status = resp.StatusCode
			x.blocked = loopRefusal(resp.StatusCode, resp.Header)
			buf, err = readBody(resp)
			x.body = bodyBytes(buf)
		}
		x.netErr = err
		if errors.Is(err, ErrBlockedTarget) {
			x.netErr, x.blocked = nil, err
		}
		sa, sx := a, x // copies for the timer: a and x stay on the live path's stack
		d.clock.AfterFunc(latency, func() {
			d.finish(at, sa, sx, latency)
			putBody(buf)
		})
		return
	}
	status, header, buf, latency, err := sendLive(d.transport, req, c.Timeout.D())
	x.status, x.body, x.netErr = status, bodyBytes(buf), err
	x.blocked = loopRefusal(status, header)
	if errors.Is(err, ErrBlockedTarget) { // refused at connect time
		x.netErr, x.blocked = nil, err
	}
	d.finish(at, a, x, latency)
	putBody(buf)
}

// finish classifies the attempt, journals it with the next one, and
// fires the update of a delivered application.
func (d *Dispatcher) finish(at *inflight, a Attempt, x exchange, latency time.Duration) {
	c := at.ps.c
	a.Outcome = classify(outcomes[:], x, c.Success, c.Error)
	a.Latency = latency
	a.Status = x.status
	if len(x.body) > 0 {
		a.ResponseBody = excerpt(x.body)
	}
	for _, err := range []error{x.invalidURL, x.dnsErr, x.blocked, x.netErr} {
		if err != nil {
			a.Error = err.Error()
		}
	}
	if x.netErr != nil {
		a.ErrorKind, a.Status = networkErrorKind(x.netErr), 0
	}
	a.Flagged = a.Outcome.Flagged()
	a.Replica, a.TakenOverFrom = d.sharing.Replica, at.from
	now := d.clock.Now()
	rec := at.rec
	var next *time.Time
	a.Retry = a.Outcome.Retries() && a.N < MaxAttempts
	if a.Retry {
		n := now.Add(RetryDelay(a.N))
		a.Next, next = &n, &n
	} else {
		rec.Outcome = EndOf(a.Outcome, a.N)
	}
	var app json.RawMessage // an application delivered, to update
	if next == nil && rec.UpdateOf == "" {
		if rec.Outcome == DeliveryDelivered && d.update >= 0 {
			app = rec.Payload
		}
		rec.Payload = nil // nothing more to do with it
	}
	rec.Attempts = append(rec.Attempts, a)
	ok, err := d.store.Finish(context.Background(), rec, next, d.max)
	at.stop()
	if err != nil || !ok {
		// Journaled nothing: the claim was lost (whoever took the attempt
		// over journals its own), or the store failed (the claim lapses
		// and the attempt is made again).
		return
	}
	a = rec.Attempts[len(rec.Attempts)-1] // as journaled (a stopped store amends it)
	if app != nil && rec.Outcome == DeliveryDelivered {
		d.fireUpdate(at.ps, rec, app, now)
	}
	d.notify(a.Next)
	if d.onAttempt != nil {
		d.onAttempt(a)
	}
}

// fireUpdate fires the update of application app (JSON), delivered at
// now by delivery of: UpdateDelay later, with its empty data points
// filled, through the application's configuration. It is stored at once,
// so that it is sent whichever dispatcher sharing the store is alive
// then.
func (d *Dispatcher) fireUpdate(ps *postbackState, of *StoredDelivery, app json.RawMessage, now time.Time) {
	var prev fixtures.PublisherApplication
	if json.Unmarshal(app, &prev) != nil {
		return
	}
	fired := now.Add(d.update)
	upd := fixtures.NewImpactGen(updateSeed(&prev), fired).PublisherApplicationUpdate(&prev)
	r, err := ps.c.Render(upd)
	if err != nil {
		return
	}
	_, _ = d.add(context.Background(), ps, upd.EventName(), r, upd, of.ID, of.Hops, fired, fired.Add(ps.c.MinDelay.D())) // fails only with the store
}

// updateSeed derives the seed of an application's update from its ids,
// so the same application is always updated with the same data.
func updateSeed(p *fixtures.PublisherApplication) int64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s|%s|%s", p.ContractId, p.PublisherId, p.ApplicationDate)
	return int64(h.Sum64() & (1<<62 - 1))
}

func excerpt(b []byte) string {
	if len(b) <= responseExcerpt {
		return string(b)
	}
	return string(b[:responseExcerpt]) + "…"
}

// urlPort is the port a request to u connects to.
func urlPort(u *url.URL) uint16 {
	if p, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		return uint16(p)
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}
