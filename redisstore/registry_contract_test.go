package redisstore_test

import (
	"strconv"
	"testing"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/internal/storetest"
	"github.com/postbacksim/postbacksim/redisstore"
	"github.com/postbacksim/postbacksim/store"
)

// TestRegistryContract runs the store.Registry contract on Redis: each
// registry under a prefix of its own.
func TestRegistryContract(t *testing.T) {
	rs := redistest.Start(t)
	n := 0
	storetest.Registry(t, func(t *testing.T) store.Registry {
		n++
		st, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "reg" + strconv.Itoa(n) + ":"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st.Registry()
	})
}
