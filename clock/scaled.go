package clock

import (
	"context"
	"time"
)

// Scaled runs K times faster than the wall clock: Now advances K seconds
// per real second, and AfterFunc(d) fires after d/K of real time. It lets
// a person watch a 31-hour retry schedule play out in minutes.
type Scaled struct {
	factor    float64
	realStart time.Time
	start     time.Time
}

// NewScaled returns a clock K times faster than real time that starts at
// the current wall-clock time. K ≤ 1 means real time.
func NewScaled(k float64) *Scaled {
	if k < 1 {
		k = 1
	}
	now := time.Now()
	return &Scaled{factor: k, realStart: now, start: now}
}

// NewScaledFrom returns a clock K times faster than real time that read
// epoch at the wall clock's epoch: Now is epoch + K × (wall time −
// epoch). Clocks made with the same epoch and K agree wherever they run,
// as replicas sharing a schedule need. K ≤ 1 means real time.
func NewScaledFrom(epoch time.Time, k float64) *Scaled {
	if k < 1 {
		k = 1
	}
	return &Scaled{factor: k, realStart: epoch, start: epoch}
}

// Factor reports K.
func (s *Scaled) Factor() float64 { return s.factor }

// Now returns the scaled time.
func (s *Scaled) Now() time.Time {
	return s.start.Add(time.Duration(float64(time.Since(s.realStart)) * s.factor))
}

func (s *Scaled) real(d time.Duration) time.Duration { return time.Duration(float64(d) / s.factor) }

// AfterFunc calls f after d of scaled time.
func (s *Scaled) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(s.real(d), f) }

// Sleep waits for d of scaled time.
func (s *Scaled) Sleep(ctx context.Context, d time.Duration) error {
	return Real{}.Sleep(ctx, s.real(d))
}
