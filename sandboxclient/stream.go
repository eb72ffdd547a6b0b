package sandboxclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/postbacksim/postbacksim/inspector"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// The kinds of stream events (Event.Kind).
const (
	// KindOcean is a journaled Ocean request (Event.Ocean).
	KindOcean = "ocean"
	// KindImpact is an impact delivery attempt (Event.Impact).
	KindImpact = "impact"
	// KindGap says the stream skipped events (Event.Gap): the stream fell
	// behind, or the Ocean requests came faster than streams carry them.
	KindGap = "gap"
)

// StreamOptions say where a stream starts.
type StreamOptions struct {
	// From resumes after this cursor (a former Event.Cursor or
	// Stream.Cursor), as the query's since; &inspector.Cursor{} starts
	// from everything the journals still hold. Nil starts at the present.
	From *inspector.Cursor
}

// Event is one event of the stream.
type Event struct {
	// Kind is KindOcean, KindImpact or KindGap (another kind a newer
	// sandbox sends has its Data only).
	Kind string
	// Cursor is the stream position after this event: resume from it.
	Cursor inspector.Cursor
	// Data is the event's JSON as sent.
	Data json.RawMessage
	// Ocean is the request of an ocean event; Impact the attempt of an
	// impact event; Gap what a gap event skipped.
	Ocean  *mockocean.Request
	Impact *mockimpact.Attempt
	Gap    *Gap
}

// Gap is what a gap event says the stream skipped: in Journal (ocean or
// impact), the events after After; for ocean, up to Resume (GET
// /_admin/ocean/requests with Since After still has them while the
// journal holds them).
type Gap struct {
	Journal string `json:"journal"`
	After   uint64 `json:"after"`
	Resume  uint64 `json:"resume,omitempty"`
}

// Stream is an open GET /_admin/stream: Server-Sent Events of the
// namespace's Ocean requests and impact attempts. Read it with Next or
// All, from one goroutine; Close ends it (so does the context given to
// Client.Stream).
type Stream struct {
	resp   *http.Response
	r      *bufio.Reader
	cursor inspector.Cursor
	err    error
	// pending is a block read but not yet returned by Next: the opening
	// one.
	pending *block
}

// Stream opens the namespace's event stream. It returns once the
// sandbox has accepted it (an *Error otherwise, e.g. 400 for a bad
// cursor, 401 without a token), then the events come as they happen.
func (c *Client) Stream(ctx context.Context, o StreamOptions) (*Stream, error) {
	q := url.Values{}
	if o.From != nil {
		q.Set("since", o.From.String())
	}
	resp, err := c.open(ctx, call{op: "Stream", method: http.MethodGet, path: "/_admin/stream", query: q,
		header: http.Header{"Accept": {"text/event-stream"}}})
	if err != nil {
		return nil, err
	}
	s := &Stream{resp: resp, r: bufio.NewReader(resp.Body)}
	if o.From != nil {
		s.cursor = *o.From
	}
	// The opening block, sent at once, says where the stream starts.
	if s.pending, err = s.readBlock(); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("sandboxclient.Stream: the sandbox's opening: %w", err)
	}
	return s, nil
}

// Cursor is the position after the last event read; before any, where
// the sandbox said the stream starts.
func (s *Stream) Cursor() inspector.Cursor { return s.cursor }

// Close ends the stream.
func (s *Stream) Close() error { return s.resp.Body.Close() }

// streamPrefix starts the comment the stream opens with, naming its
// starting cursor.
const streamPrefix = "postbacksim stream from "

// Next waits for the next event and returns it; io.EOF when the sandbox
// ended the stream, or the error that ended it (ctx's, Close's). After
// an error, every call returns it again.
func (s *Stream) Next() (Event, error) {
	if s.err != nil {
		return Event{}, s.err
	}
	for {
		b := s.pending
		s.pending = nil
		if b == nil {
			if b, s.err = s.readBlock(); s.err != nil {
				return Event{}, s.err
			}
		}
		if !b.event {
			continue // comments, a retry line: no event
		}
		s.cursor = b.ev.Cursor
		if s.err = decodeEvent(&b.ev); s.err != nil {
			return b.ev, s.err
		}
		return b.ev, nil
	}
}

// block is one block of the stream, up to a blank line: an event when
// it has an event field.
type block struct {
	ev    Event
	event bool
}

// readBlock reads the next block; the stream's opening comment sets the
// cursor.
func (s *Stream) readBlock() (*block, error) {
	b := &block{}
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && line == "" {
				return nil, io.EOF
			}
			if !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("sandboxclient.Stream: %w", err)
			}
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			b.ev.Data = json.RawMessage(strings.Join(data, "\n"))
			return b, nil
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "": // a comment
			if c, ok := strings.CutPrefix(value, streamPrefix); ok {
				if cur, ok := inspector.ParseCursor(c); ok {
					s.cursor = cur
				}
			}
		case "id":
			cur, ok := inspector.ParseCursor(value)
			if !ok {
				return nil, fmt.Errorf("sandboxclient.Stream: id %q is not a cursor OCEAN.IMPACT", value)
			}
			b.ev.Cursor, b.event = cur, true
		case "event":
			b.ev.Kind, b.event = value, true
		case "data":
			data, b.event = append(data, value), true
		}
	}
}

// decodeEvent fills the typed member of ev's kind from its Data.
func decodeEvent(ev *Event) error {
	var v any
	switch ev.Kind {
	case KindOcean:
		ev.Ocean = new(mockocean.Request)
		v = ev.Ocean
	case KindImpact:
		ev.Impact = new(mockimpact.Attempt)
		v = ev.Impact
	case KindGap:
		ev.Gap = new(Gap)
		v = ev.Gap
	default:
		return nil
	}
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return fmt.Errorf("sandboxclient.Stream: %s event %s: %w", ev.Kind, ev.Cursor, err)
	}
	return nil
}

// All yields the stream's events until it ends: with io.EOF when the
// sandbox ended it, else with the error that ended it, as the last pair.
// Breaking out of the loop leaves the stream open: Close it.
func (s *Stream) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := s.Next()
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}
