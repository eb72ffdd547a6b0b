package redisstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/internal/storetest"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/redisstore"
)

// openStore returns a store on a new redis-server, closed when the test
// ends.
func openStore(t *testing.T) *redisstore.Store {
	t.Helper()
	rs := redistest.Start(t)
	st, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestImpactDeliveriesKeepTheContract(t *testing.T) {
	st := openStore(t)
	var n atomic.Int64 // a namespace each, so each subtest starts empty
	storetest.Deliveries(t, func(*testing.T) mockimpact.DeliveryStore {
		return st.ImpactDeliveries(fmt.Sprintf("ns%d", n.Add(1)), mockimpact.ScheduleOptions{Replica: "A"})
	})
}

func TestImpactConfigsKeepTheContract(t *testing.T) {
	st := openStore(t)
	var n atomic.Int64
	storetest.Configs(t, func(*testing.T) mockimpact.ConfigStore {
		return st.ImpactConfigs(fmt.Sprintf("ns%d", n.Add(1)))
	})
}
