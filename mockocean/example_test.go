package mockocean_test

import (
	"context"
	"fmt"

	"github.com/postbacksim/postbacksim/mockocean"
)

// Faults make the emulator fail on purpose, to test an uploader's retries.
func ExampleServer_InjectFault() {
	srv := mockocean.New(mockocean.Config{})
	f, _ := srv.InjectFault(context.Background(), mockocean.Fault{Status: 503, Times: 1, Match: map[string]string{"event_type": "2"}})
	fmt.Println(f.ID, f.Status, f.Times)
	// Output: f1 503 1
}
