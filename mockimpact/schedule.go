package mockimpact

import "time"

// RetrySchedule is the delay before each retry, from the seed's retry
// table (重试计划): up to 15 retries after the first attempt. It is the
// only copy of the schedule in the project.
var RetrySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 15 * time.Second,
	3 * time.Minute, 3 * time.Minute,
	15 * time.Minute, 15 * time.Minute, 15 * time.Minute,
	2 * time.Hour, 2 * time.Hour, 2 * time.Hour,
	6 * time.Hour, 6 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// MaxAttempts is the first attempt plus every retry.
var MaxAttempts = 1 + len(RetrySchedule)

// ScheduleOffsets returns the offset of each attempt from the first when
// every attempt fails instantly: 0, 15s, 30s, 45s, 3m45s, … 30h51m45s.
func ScheduleOffsets() []time.Duration {
	out := make([]time.Duration, MaxAttempts)
	for i, d := range RetrySchedule {
		out[i+1] = out[i] + d
	}
	return out
}
