// Package clock is the one source of time for postbacksim's domain code.
//
// Every timer, sleep and rate-limit decision goes through a Clock, so the
// same code runs on the wall clock (Real), faster than it (Scaled, for
// watching retries by hand in the sandbox), or as a deterministic
// discrete-event simulation (Virtual), where a 31-hour retry schedule takes
// milliseconds.
//
// A Virtual clock starts at Epoch (unless told otherwise) and stands still
// until Advance, AdvanceTo or RunUntilIdle moves it; timers then fire in
// order of due time, each seeing Now equal to its own due time:
//
//	vc := clock.NewVirtual(time.Time{}) // starts at clock.Epoch
//	vc.AfterFunc(15*time.Second, retry)
//	vc.RunUntilIdle(1000)               // retry runs at Epoch+15s, at once
//
// Duration is a time.Duration that reads and writes Go duration strings
// ("15s", "1m30s"; also "d" for days) in JSON and YAML, as configurations
// and scenario files use them.
package clock
