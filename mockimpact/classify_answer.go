package mockimpact

import "errors"

// ClassifyAnswer classifies one answer from a real receiver with the
// Outcomes table, as the dispatcher does: netErr is the transport's error
// (nil when an answer came), status and body the answer. A URL or DNS
// problem is the caller's to report; here they are network errors. A
// refusal of a TargetPolicy (ErrBlockedTarget) is blocked_target.
func ClassifyAnswer(status int, body []byte, netErr error, success, failure Matcher) Outcome {
	x := exchange{netErr: netErr, status: status, body: body}
	if errors.Is(netErr, ErrBlockedTarget) {
		x.netErr, x.blocked = nil, netErr
	}
	return classify(outcomes[:], x, success, failure)
}
