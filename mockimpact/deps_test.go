package mockimpact_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoRedisClientLinked: mockimpact defines the state it keeps as
// interfaces; the Redis implementations live in package redisstore, so
// neither the package nor its test helpers link a Redis client.
func TestNoRedisClientLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".", "./impacttest").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/redis/go-redis") {
			t.Errorf("mockimpact links %s", pkg)
		}
	}
}
