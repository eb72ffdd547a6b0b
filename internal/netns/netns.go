// Package netns runs a test inside a network namespace of its own that
// has a loopback interface and nothing else: a test of a guard against
// other addresses then cannot send a packet off the machine, whatever
// the guard does.
package netns

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// envInside names the test that runs inside the namespace.
const envInside = "POSTBACKSIM_NETNS_TEST"

// Inside reports whether the test runs inside its namespace. Called
// first by a test: outside, it runs the test binary again for this test
// alone under `unshare -rn` (a user and a network namespace, no
// privilege needed), with env added, reports that run's output, fails
// the test when it failed, and returns false: the caller returns. Inside,
// it brings the loopback interface up and returns true.
func Inside(t *testing.T, env ...string) bool {
	t.Helper()
	if os.Getenv(envInside) == t.Name() {
		if err := loopbackUp(); err != nil {
			t.Fatalf("bringing lo up in the test's network namespace: %v", err)
		}
		return true
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("this test runs in a network namespace of its own: install util-linux (unshare): %v", err)
	}
	args := []string{"-rn", os.Args[0], "-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.count=1", "-test.v"}
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(append(os.Environ(), envInside+"="+t.Name()), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("in a loopback-only network namespace:\n%s", out)
	if err != nil {
		if strings.Contains(string(out), "unshare failed") || strings.Contains(string(out), "Operation not permitted") {
			t.Fatalf("unshare -rn was refused: user namespaces must be enabled (sysctl kernel.unprivileged_userns_clone=1, or run as root): %v", err)
		}
		t.Fatalf("the test failed in its network namespace: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the run in the network namespace did not run %s", t.Name())
	}
	return false
}

// loopbackUp sets the flags of lo to up and running (SIOCSIFFLAGS).
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(fd)
	var ifr struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(ifr.name[:], "lo")
	ifr.flags = syscall.IFF_UP | syscall.IFF_RUNNING | syscall.IFF_LOOPBACK
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr))); errno != 0 {
		return fmt.Errorf("SIOCSIFFLAGS: %w", errno)
	}
	return nil
}
