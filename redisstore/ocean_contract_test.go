package redisstore_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/internal/storetest"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/redisstore"
)

// TestOceanStateContract runs the State contract on Redis: each state in
// a namespace of its own.
func TestOceanStateContract(t *testing.T) {
	rs := redistest.Start(t)
	st, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "contract:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var n atomic.Int64
	storetest.Ocean(t, func(_ *testing.T, c mockocean.StateConfig) mockocean.State {
		return st.Ocean("ns" + strconv.FormatInt(n.Add(1), 10)).Open(c)
	})
}
