package mockimpact

import (
	"slices"
	"time"
)

// retrySchedule is the delay before each retry, from the impact.com
// document's retry table (重试计划): up to 15 retries after the first attempt. It is the
// only copy of the schedule in the project; an array, so that MaxAttempts
// is a constant.
var retrySchedule = [...]time.Duration{
	15 * time.Second, 15 * time.Second, 15 * time.Second,
	3 * time.Minute, 3 * time.Minute,
	15 * time.Minute, 15 * time.Minute, 15 * time.Minute,
	2 * time.Hour, 2 * time.Hour, 2 * time.Hour,
	6 * time.Hour, 6 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// MaxAttempts is the first attempt plus every retry.
const MaxAttempts = 1 + len(retrySchedule)

// RetrySchedule returns a copy of the retry schedule: element i is the
// delay before attempt i+2, counted from when attempt i+1's outcome is
// known.
func RetrySchedule() []time.Duration { return slices.Clone(retrySchedule[:]) }

// RetryDelay is the delay before the retry that follows attempt n (from 1
// to MaxAttempts-1).
func RetryDelay(n int) time.Duration { return retrySchedule[n-1] }

// ScheduleOffsets returns the offset of each attempt from the first when
// every attempt fails instantly: 0, 15s, 30s, 45s, 3m45s, … 30h51m45s.
func ScheduleOffsets() []time.Duration {
	out := make([]time.Duration, MaxAttempts)
	for i, d := range retrySchedule {
		out[i+1] = out[i] + d
	}
	return out
}
