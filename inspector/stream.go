package inspector

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/internal/httpjson"
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
// While the store does not answer, its Ocean part stays where it was.
func (t *Tenant) now() Cursor {
	c, err := t.read(context.Background())
	if err != nil {
		c.Ocean = t.oceanSeen.Load()
	}
	return c
}

// read is the tenant's current cursor, or the store's error.
func (t *Tenant) read(ctx context.Context) (Cursor, error) {
	c := Cursor{Impact: t.Feed.Last()}
	st, err := t.Ocean.JournalStats(ctx)
	if err != nil {
		return c, err
	}
	c.Ocean = st.Received
	t.oceanSeen.Store(c.Ocean)
	return c, nil
}

// serveStream serves GET /_admin/stream: Server-Sent Events, one
// "ocean" event per journaled request and one "impact" event per
// attempt, each with the cursor after it as its id. It starts after
// Last-Event-ID (or ?since=), else at the present. The namespace's hub
// encodes each batch of events once for every stream; a stream that
// cannot keep up misses batches and reads the journals itself, so it
// only delays itself, and skips what the journal no longer holds.
func (in *Inspector) serveStream(t *Tenant, w http.ResponseWriter, r *http.Request) {
	cur, err := t.read(r.Context())
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	for _, from := range []struct{ name, value string }{
		{"Last-Event-ID", r.Header.Get("Last-Event-ID")}, {"since", r.URL.Query().Get("since")},
	} {
		if from.value == "" {
			continue
		}
		c, ok := ParseCursor(from.value)
		if !ok {
			httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("%s %q: want a cursor OCEAN.IMPACT, as the stream's ids are (0.0 is the start)", from.name, from.value))
			return
		}
		cur = c
		break
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
	sub, start := t.hub.subscribe()
	defer t.hub.unsubscribe(sub)
	var buf bytes.Buffer
	encode(t, &buf, &cur, start, maxBacklog) // what came before the hub's batches
	if _, err := w.Write(buf.Bytes()); err != nil || rc.Flush() != nil {
		return
	}

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
		select {
		case <-ctx.Done():
			return
		case b := <-sub.ch:
			data := b.data
			if b.from != cur { // missed batches: read them from the journals
				if b.to == cur {
					continue
				}
				buf.Reset()
				encode(t, &buf, &cur, b.to, maxBacklog)
				data = buf.Bytes()
			}
			cur = b.to
			if len(data) == 0 {
				continue
			}
			if _, err := w.Write(data); err != nil || rc.Flush() != nil {
				return
			}
		case <-tick:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			arm()
		}
	}
}
