package redisstore_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyRedisstoreLinksARedisClient: the emulators, the sandbox and
// their test helpers define the state they keep as interfaces and keep it
// in memory by default; the Redis implementations are this package's. A
// partner who imports oceantest or impacttest links no Redis client.
func TestOnlyRedisstoreLinksARedisClient(t *testing.T) {
	const mod = "github.com/postbacksim/postbacksim/"
	pkgs := []string{"mockocean", "mockocean/oceantest", "mockimpact", "mockimpact/impacttest", "sandbox", "sandbox/sandboxtest",
		"runner", "runner/runnertest", "scenarios", "inspector", "certify", "store"}
	for _, p := range pkgs {
		out, err := exec.Command("go", "list", "-deps", mod+p).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", p, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/redis/") {
				t.Errorf("%s links %s", p, dep)
			}
		}
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "github.com/redis/go-redis/v9\n") {
		t.Fatalf("redisstore itself does not link go-redis (the test would pass for nothing): %v\n%s", err, out)
	}
}
