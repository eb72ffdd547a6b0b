package inspector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// MaxEventRate bounds the Ocean events a second a namespace's streams
// carry: beyond it (a load test), each batch keeps the newest requests
// and a "gap" event says which it skipped, so that streaming costs the
// requests little at any load. Programs that need every request read
// the skipped ones from GET /_admin/ocean/requests?since=N.
const MaxEventRate = 5000

// BatchDelay is how long the stream gathers events after the first one
// before it encodes and sends them together: at full load, one write of
// many events to each client instead of one per request.
const BatchDelay = 50 * time.Millisecond

// hub fans a namespace's events out to its streams. It runs only while
// some stream is open: it waits for the journals' change signals (so
// nobody listening costs requests nothing), then encodes the new events
// once, as one batch, and offers the batch to every stream without
// waiting: a stream whose queue is full misses it and reads what it
// missed from the journals itself, at its own pace.
type hub struct {
	in *Inspector
	t  *Tenant

	mu   sync.Mutex
	subs map[*subscriber]struct{}
	cur  Cursor        // where the next batch starts
	stop chan struct{} // closed when the last stream leaves
}

// batch is a run of events, encoded: from the cursor before them to the
// cursor after.
type batch struct {
	from, to Cursor
	data     []byte
}

type subscriber struct {
	ch chan batch
}

func newHub(in *Inspector, t *Tenant) *hub {
	return &hub{in: in, t: t, subs: map[*subscriber]struct{}{}}
}

// subscribe adds a stream and returns where the batches it will get
// start; the first stream starts the hub.
func (h *hub) subscribe() (*subscriber, Cursor) {
	s := &subscriber{ch: make(chan batch, 16)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		h.cur = h.t.now()
		h.stop = make(chan struct{})
		go h.run(h.stop)
	}
	h.subs[s] = struct{}{}
	return s, h.cur
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	if len(h.subs) == 0 {
		close(h.stop)
	}
}

func (h *hub) run(stop chan struct{}) {
	for {
		oceanCh, impactCh := h.t.Ocean.Changed(), h.t.Feed.Changed()
		h.mu.Lock()
		from := h.cur
		h.mu.Unlock()
		if h.t.now() == from {
			select {
			case <-stop:
				return
			case <-oceanCh:
			case <-impactCh:
			}
		}
		if h.in.batchDelay > 0 {
			wake := make(chan struct{})
			h.in.clock.AfterFunc(h.in.batchDelay, func() { close(wake) })
			select {
			case <-stop:
				return
			case <-wake:
			}
		}
		var buf bytes.Buffer
		to := from
		encode(h.t, &buf, &to, h.t.now(), h.in.batchLimit())
		h.mu.Lock()
		select {
		case <-stop: // the streams left meanwhile; a new hub may be running
			h.mu.Unlock()
			return
		default:
		}
		h.cur = to
		b := batch{from: from, to: to, data: buf.Bytes()}
		for s := range h.subs {
			select {
			case s.ch <- b:
			default: // the stream is behind: it catches up from the journals
			}
		}
		h.mu.Unlock()
	}
}

// encode writes the events after *cur up to target (an Ocean request
// or attempt beyond it is left for later) and advances *cur. An Ocean
// backlog over limit is skipped, announced by a "gap" event.
func encode(t *Tenant, buf *bytes.Buffer, cur *Cursor, target Cursor, limit uint64) {
	if cur.Ocean > target.Ocean {
		cur.Ocean = 0 // the journal was reset
	}
	if target.Ocean > cur.Ocean+limit {
		from := cur.Ocean
		cur.Ocean = target.Ocean - limit
		writeEvent(buf, "gap", *cur, map[string]any{"journal": "ocean", "after": from, "resume": cur.Ocean})
	}
	if target.Ocean > cur.Ocean {
		// When the store does not answer, cur stays: the next batch reads
		// again.
		if reqs, err := t.Ocean.RequestsSince(context.Background(), cur.Ocean); err == nil {
			for _, rq := range reqs {
				if rq.Seq > target.Ocean {
					break
				}
				cur.Ocean = rq.Seq
				b, err := rq.MarshalJSON()
				if err != nil {
					continue
				}
				writeRaw(buf, "ocean", *cur, b)
			}
			cur.Ocean = max(cur.Ocean, target.Ocean) // evicted meanwhile
		}
	}
	if target.Impact > cur.Impact {
		attempts, gap := t.Feed.Since(cur.Impact)
		if gap {
			writeEvent(buf, "gap", *cur, map[string]any{"journal": "impact", "after": cur.Impact})
		}
		for _, a := range attempts {
			if a.Seq > target.Impact {
				break
			}
			cur.Impact = a.Seq
			writeEvent(buf, "impact", *cur, a.Attempt)
		}
		cur.Impact = max(cur.Impact, target.Impact)
	}
}

func writeEvent(buf *bytes.Buffer, event string, id Cursor, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	writeRaw(buf, event, id, b)
}

func writeRaw(buf *bytes.Buffer, event string, id Cursor, data []byte) {
	fmt.Fprintf(buf, "id: %d.%d\nevent: %s\ndata: ", id.Ocean, id.Impact, event)
	buf.Write(data)
	buf.WriteString("\n\n")
}

// batchLimit is the most Ocean requests a batch carries.
func (in *Inspector) batchLimit() uint64 {
	if in.batchDelay <= 0 {
		return maxBacklog
	}
	return uint64(max(1, min(maxBacklog, int64(MaxEventRate*in.batchDelay.Seconds()))))
}
