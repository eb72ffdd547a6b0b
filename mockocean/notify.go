package mockocean

import (
	"context"
	"time"
)

// storePollInterval is how often Changed lets a reader look again when
// the journal lives in a shared store, whose requests from other
// replicas this process is not told of.
const storePollInterval = 250 * time.Millisecond

// Changed returns a channel closed at the next change of the journal (a
// request journaled, or a reset). A reader takes it before reading with
// RequestsSince and waits on it when there was nothing new: the journal
// only closes a channel per request, so a reader costs requests nothing,
// and a slow one never holds them up. With a shared store (Redis) the
// channel closes after a short interval on the server's clock instead,
// so readers see every replica's requests.
func (s *Server) Changed() <-chan struct{} {
	if s.journal == nil {
		ch := make(chan struct{})
		s.clock.AfterFunc(storePollInterval, func() { close(ch) })
		return ch
	}
	s.journal.mu.Lock()
	defer s.journal.mu.Unlock()
	return s.journal.changed
}

// Received returns request seq as it was received (method, content
// type, query and body), if the journal still holds it (and, on a shared
// store, Redis answers).
func (s *Server) Received(seq uint64) (Raw, bool) {
	if rs, ok := s.state.(*redisState); ok {
		return rs.received(context.Background(), seq)
	}
	j := s.journal
	if j == nil {
		return Raw{}, false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	front, ok := j.buf.Front()
	if !ok || seq < front.seq {
		return Raw{}, false
	}
	e, ok := j.buf.At(int(seq - front.seq))
	if !ok || e.seq != seq {
		return Raw{}, false
	}
	return e.raw, true
}
