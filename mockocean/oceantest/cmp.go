package oceantest

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/postbacksim/postbacksim/mockocean"
)

// IgnoreVolatile is a go-cmp option that ignores the fields of
// mockocean.Request that change from run to run (Seq, Time, RemoteAddr),
// for comparing journals with cmp.Diff.
var IgnoreVolatile cmp.Option = cmpopts.IgnoreFields(mockocean.Request{}, "Seq", "Time", "RemoteAddr")
