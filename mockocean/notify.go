package mockocean

import "context"

// Changed returns a channel closed at the next change of the journal (a
// request journaled, or a reset). A reader takes it before reading with
// RequestsSince and waits on it when there was nothing new: the journal
// only closes a channel per request, so a reader costs requests nothing,
// and a slow one never holds them up. With a shared store (Redis) the
// channel closes after a short interval on the server's clock instead,
// so readers see every replica's requests.
func (s *Server) Changed() <-chan struct{} { return s.state.Changed() }

// Received returns request seq as it was received (method, content
// type, query and body): ok is false when the journal no longer holds
// it.
func (s *Server) Received(ctx context.Context, seq uint64) (raw Raw, ok bool, err error) {
	e, ok, err := s.state.Entry(ctx, seq)
	return e.Raw, ok, err
}
