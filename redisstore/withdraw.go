package redisstore

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// A batch whose script call failed without an answer (Redis stopped
// after running it, before replying, until the client's timeout) may
// have been recorded, while its requests were answered 503. The script
// keeps, for a few minutes, what each batch recorded (its done list: the
// journal numbers and the ids it added), and this process withdraws a
// batch it gave up on: at its next script call, or sooner by a call of
// its own as soon as Redis answers, the ids are forgotten and the
// journal entries become tombstones that readers skip. With the
// deadline (deadline.go), a request answered 503 never counts: a retry
// through this process is answered as a first request.

// maxWithdraw bounds the batches one call withdraws, and
// maxAbandoned those this process remembers to withdraw.
const (
	maxWithdraw  = 32
	maxAbandoned = 4096
)

// withdrawRetry is how often (wall time) the withdrawing call is tried
// while Redis does not answer.
const withdrawRetry = 100 * time.Millisecond

func newBatchToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// doneKey is the key of a batch's done list.
func (r *oceanState) doneKey(token string) string { return r.kJournal + ":done:" + token }

// toWithdraw returns the batches the next call withdraws.
func (r *oceanState) toWithdraw() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.abandoned[:min(len(r.abandoned), maxWithdraw)]...)
}

// withdrawn forgets the batches a call withdrew.
func (r *oceanState) withdrawn(tokens []string) {
	if len(tokens) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	gone := map[string]bool{}
	for _, t := range tokens {
		gone[t] = true
	}
	kept := r.abandoned[:0]
	for _, t := range r.abandoned {
		if !gone[t] {
			kept = append(kept, t)
		}
	}
	r.abandoned = kept
}

// withdrawLater remembers a batch to withdraw and makes sure a call
// does it as soon as Redis answers.
func (r *oceanState) withdrawLater(token string) {
	r.mu.Lock()
	r.abandoned = append(r.abandoned, token)
	if len(r.abandoned) > maxAbandoned {
		r.abandoned = r.abandoned[len(r.abandoned)-maxAbandoned:]
	}
	start := !r.withdrawing
	r.withdrawing = true
	r.mu.Unlock()
	if start {
		go r.withdrawLoop()
	}
}

// withdrawLoop calls the script with no request until nothing is left to
// withdraw.
func (r *oceanState) withdrawLoop() {
	for {
		r.mu.Lock()
		left := len(r.abandoned)
		if left == 0 {
			r.withdrawing = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if err := r.runBatch(nil); err != nil {
			time.Sleep(withdrawRetry) // real time: Redis is not answering
		}
	}
}
