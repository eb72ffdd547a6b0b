package mockimpact_test

import (
	"testing"

	"github.com/postbacksim/postbacksim/internal/storetest"
	"github.com/postbacksim/postbacksim/mockimpact"
)

func TestMemoryDeliveriesKeepTheContract(t *testing.T) {
	storetest.Deliveries(t, func(*testing.T) mockimpact.DeliveryStore { return mockimpact.NewMemoryDeliveries() })
}

func TestMemoryConfigsKeepTheContract(t *testing.T) {
	storetest.Configs(t, func(*testing.T) mockimpact.ConfigStore { return mockimpact.NewMemoryConfigs() })
}
