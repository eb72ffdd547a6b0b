package mockimpact

// ClassifyAnswer classifies one answer from a real receiver with the
// Outcomes table, as the dispatcher does: netErr is the transport's error
// (nil when an answer came), status and body the answer. A URL or DNS
// problem is the caller's to report; here they are network errors.
func ClassifyAnswer(status int, body []byte, netErr error, success, failure Matcher) Outcome {
	return classify(outcomes[:], exchange{netErr: netErr, status: status, body: body}, success, failure)
}
