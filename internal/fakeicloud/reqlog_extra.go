package fakeicloud

// ResetRequests forgets the request log, so that long runs (soak tests)
// do not measure the fake's own memory. Take what you need from Requests
// first.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}
