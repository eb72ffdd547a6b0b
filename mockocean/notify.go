package mockocean

// Changed returns a channel closed at the next change of the journal (a
// request journaled, or a reset). A reader takes it before reading with
// RequestsSince and waits on it when there was nothing new: the journal
// only closes a channel per request, so a reader costs requests nothing,
// and a slow one never holds them up.
func (s *Server) Changed() <-chan struct{} {
	s.journal.mu.Lock()
	defer s.journal.mu.Unlock()
	return s.journal.changed
}

// Received returns request seq as it was received (method, content
// type, query and body), if the journal still holds it.
func (s *Server) Received(seq uint64) (Raw, bool) {
	j := s.journal
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
