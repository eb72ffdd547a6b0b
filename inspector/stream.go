package inspector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// KeepAlive is how often an idle stream gets a comment line, so proxies
// and browsers keep it open.
const KeepAlive = 15 * time.Second

// maxBacklog bounds the Ocean requests a stream sends after falling
// behind: older ones are skipped, announced by a "gap" event.
const maxBacklog = 1000

// Cursor is a stream position: the last Ocean request (journal Seq) and
// the last impact attempt (Feed number) sent. Its text form, the SSE id,
// is "OCEAN.IMPACT".
type Cursor struct {
	Ocean, Impact uint64
}

// String is the cursor as an SSE id.
func (c Cursor) String() string { return fmt.Sprintf("%d.%d", c.Ocean, c.Impact) }

// ParseCursor reads an SSE id written by Cursor.String.
func ParseCursor(s string) (Cursor, bool) {
	o, i, ok := strings.Cut(s, ".")
	if !ok {
		return Cursor{}, false
	}
	a, err1 := strconv.ParseUint(o, 10, 64)
	b, err2 := strconv.ParseUint(i, 10, 64)
	if err1 != nil || err2 != nil {
		return Cursor{}, false
	}
	return Cursor{a, b}, true
}

// now is the tenant's current cursor: what a page rendered now shows.
func (t *Tenant) now() Cursor {
	return Cursor{Ocean: t.Ocean.JournalStats().Received, Impact: t.Feed.Last()}
}

// serveStream serves GET /_admin/stream: Server-Sent Events, one
// "ocean" event per journaled request and one "impact" event per
// attempt, each with the cursor after it as its id. It starts after
// Last-Event-ID (or ?since=), else at the present. The stream reads the
// journals when they signal a change; a client that reads slowly only
// delays itself, and skips what the journal no longer holds.
func (in *Inspector) serveStream(t *Tenant, w http.ResponseWriter, r *http.Request) {
	cur := t.now()
	if c, ok := ParseCursor(r.Header.Get("Last-Event-ID")); ok {
		cur = c
	} else if c, ok := ParseCursor(r.URL.Query().Get("since")); ok {
		cur = c
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 2000\n: postbacksim stream from %s\n\n", cur); err != nil {
		return
	}
	_ = rc.Flush()

	tick := make(chan struct{}, 1)
	arm := func() {
		in.clock.AfterFunc(in.keepAlive, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
	}
	arm()
	ctx := r.Context()
	for {
		oceanCh, impactCh := t.Ocean.Changed(), t.Feed.Changed()
		sent, err := in.sendPending(t, w, &cur)
		if err != nil {
			return
		}
		if sent {
			if rc.Flush() != nil {
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-oceanCh:
		case <-impactCh:
		case <-tick:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			arm()
		}
	}
}

// sendPending writes the events after cur and advances it.
func (in *Inspector) sendPending(t *Tenant, w http.ResponseWriter, cur *Cursor) (bool, error) {
	sent := false
	received := t.Ocean.JournalStats().Received
	if cur.Ocean > received { // the journal was reset
		cur.Ocean = 0
	}
	if received-cur.Ocean > maxBacklog {
		from := cur.Ocean
		cur.Ocean = received - maxBacklog
		if err := writeEvent(w, "gap", *cur, map[string]any{"journal": "ocean", "after": from, "resume": cur.Ocean}); err != nil {
			return sent, err
		}
		sent = true
	}
	if received > cur.Ocean {
		for _, rq := range t.Ocean.RequestsSince(cur.Ocean) {
			cur.Ocean = rq.Seq
			if err := writeEvent(w, "ocean", *cur, rq); err != nil {
				return sent, err
			}
			sent = true
		}
	}
	attempts, gap := t.Feed.Since(cur.Impact)
	if gap {
		if err := writeEvent(w, "gap", *cur, map[string]any{"journal": "impact", "after": cur.Impact}); err != nil {
			return sent, err
		}
	}
	for _, a := range attempts {
		cur.Impact = a.Seq
		if err := writeEvent(w, "impact", *cur, a.Attempt); err != nil {
			return sent, err
		}
		sent = true
	}
	return sent, nil
}

func writeEvent(w http.ResponseWriter, event string, id Cursor, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", id, event, b)
	return err
}
