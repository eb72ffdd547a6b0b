// Package export turns what a sandbox recorded into scenario files that
// package runner (postbacksim run) replays: Ocean turns the Ocean journal
// (GET /_admin/ocean/requests) into an Ocean scenario that sends the
// recorded requests again, in order and as received, and expects the
// answers they got; Impact turns one impact delivery (GET
// /_admin/impact/deliveries/{id}) into an impact scenario whose scripted
// receiver plays the recorded answers and whose expectations are the
// attempts' offsets and outcomes. Marshal writes a scenario as YAML,
// ready for postbacksim run.
//
// The functions take what the admin API answers, decoded; fetching it is
// the caller's (cmd/postbacksim's ocean export and impact export).
package export
