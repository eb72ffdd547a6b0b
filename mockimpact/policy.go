package mockimpact

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// ErrBlockedTarget is wrapped by every refusal of the target policy.
var ErrBlockedTarget = errors.New("blocked target")

// BlockedTargetError says which address the target policy refused and
// why. It wraps ErrBlockedTarget.
type BlockedTargetError struct {
	Addr   netip.AddrPort
	Reason string
}

func (e *BlockedTargetError) Error() string {
	if e.Self() {
		if !e.Addr.IsValid() {
			return "blocked target: " + e.Reason
		}
		return fmt.Sprintf("blocked target %s: %s", e.Addr, e.Reason)
	}
	return fmt.Sprintf("blocked target %s: %s (--deny-private-targets; open a range with --allow-targets)", e.Addr, e.Reason)
}

// ReasonSelf opens the Reason of a refusal of the sandbox itself: its
// own address, or an answer saying the postback looped back to it
// (LoopHeader). No setting opens it.
const ReasonSelf = "self"

// Self reports whether the refusal is of the sandbox itself.
func (e *BlockedTargetError) Self() bool { return strings.HasPrefix(e.Reason, ReasonSelf+":") }

// Unwrap makes errors.Is(err, ErrBlockedTarget) true.
func (e *BlockedTargetError) Unwrap() error { return ErrBlockedTarget }

// TargetPolicy decides which addresses postbacks may be sent to, so a
// shared sandbox cannot be turned into a proxy into its own network. It
// is checked on each resolved address, before and at connect time, for
// every attempt. The zero value allows everything; a nil *TargetPolicy
// too.
type TargetPolicy struct {
	// DenyPrivate refuses loopback, private (RFC 1918), shared (RFC
	// 6598), link-local, unique-local, multicast and unspecified
	// addresses, IPv4-mapped and -compatible forms included.
	DenyPrivate bool
	// Allow opens these ranges even when DenyPrivate refuses them.
	Allow []netip.Prefix
	// Self are the sandbox's own listen addresses (for a server on
	// 0.0.0.0, each of its interfaces' addresses with the port): always
	// refused when DenyPrivate is set, Allow notwithstanding. (Without
	// it, the hop marker of Options.Hop stops loops.) An unspecified
	// address (0.0.0.0, ::) stands for every address of this host at its
	// port, all of 127.0.0.0/8 and ::1 included: a wildcard socket
	// answers them all.
	Self []netip.AddrPort
}

// denied ranges beyond what netip's predicates cover.
var (
	sharedRange    = netip.MustParsePrefix("100.64.0.0/10")  // RFC 6598
	thisNetwork    = netip.MustParsePrefix("0.0.0.0/8")      // RFC 1122 "this host"
	benchmarkRange = netip.MustParsePrefix("198.18.0.0/15")  // RFC 2544
	ipv4Broadcast  = netip.MustParseAddr("255.255.255.255")  //
	nat64Prefix    = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052, embeds IPv4
	compatPrefix   = netip.MustParsePrefix("::/96")          // IPv4-compatible (deprecated)
	sixToFour      = netip.MustParsePrefix("2002::/16")      // 6to4, embeds IPv4
	uniqueLocal    = netip.MustParsePrefix("fc00::/7")       // RFC 4193
	siteLocal      = netip.MustParsePrefix("fec0::/10")      // deprecated, still private
	linkLocal4     = netip.MustParsePrefix("169.254.0.0/16") // cloud metadata lives here
)

// privateReason says why a is not a public unicast address, or "".
func privateReason(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4In6() {
		if r := privateReason(a.Unmap()); r != "" {
			return "IPv4-mapped " + r
		}
		return ""
	}
	if a.Is6() {
		switch {
		case a.IsUnspecified():
			return "unspecified address"
		case a.IsLoopback():
			return "loopback address"
		case compatPrefix.Contains(a):
			b := a.As16()
			return prefixed("IPv4-compatible ", privateReason(netip.AddrFrom4([4]byte(b[12:]))))
		case nat64Prefix.Contains(a):
			b := a.As16()
			return prefixed("NAT64 ", privateReason(netip.AddrFrom4([4]byte(b[12:]))))
		case sixToFour.Contains(a):
			b := a.As16()
			return prefixed("6to4 ", privateReason(netip.AddrFrom4([4]byte(b[2:6]))))
		}
	}
	switch {
	case a.IsUnspecified(), a.Is4() && thisNetwork.Contains(a):
		return "unspecified address"
	case a.IsLoopback():
		return "loopback address"
	case a.Is4() && a.IsPrivate():
		return "private address (RFC 1918)"
	case sharedRange.Contains(a):
		return "shared address space (RFC 6598)"
	case linkLocal4.Contains(a), a.IsLinkLocalUnicast():
		return "link-local address (cloud metadata lives here)"
	case uniqueLocal.Contains(a), siteLocal.Contains(a):
		return "unique-local address"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast address"
	case a == ipv4Broadcast:
		return "broadcast address"
	case benchmarkRange.Contains(a):
		return "benchmarking range (RFC 2544)"
	}
	return ""
}

func prefixed(p, reason string) string {
	if reason == "" {
		return ""
	}
	return p + reason
}

// Check returns a *BlockedTargetError when the policy refuses ap, else
// nil.
func (p *TargetPolicy) Check(ap netip.AddrPort) error {
	if !p.Enabled() {
		return nil
	}
	a := ap.Addr().WithZone("")
	if p.isSelf(a.Unmap(), ap.Port()) {
		return &BlockedTargetError{Addr: ap, Reason: ReasonSelf + ": the sandbox's own address (a wildcard listener answers every loopback and interface address at its port)"}
	}
	for _, pre := range p.Allow {
		if pre.Contains(a) || (a.Is4In6() && pre.Contains(a.Unmap())) {
			return nil
		}
	}
	if r := privateReason(a); r != "" {
		return &BlockedTargetError{Addr: ap, Reason: r}
	}
	return nil
}

// isSelf reports whether a:port reaches the sandbox's own listener.
func (p *TargetPolicy) isSelf(a netip.Addr, port uint16) bool {
	for _, s := range p.Self {
		if s.Port() != port {
			continue
		}
		sa := s.Addr().WithZone("").Unmap()
		thisHost := a.IsUnspecified() || a.Is4() && thisNetwork.Contains(a) // connecting there reaches this host
		if sa == a || thisHost || sa.IsUnspecified() && a.IsLoopback() {
			return true
		}
	}
	return false
}

// CheckHostPort checks an "ip:port" address as the dialer sees it. An
// address that is not an IP literal is refused: the policy decides on
// resolved addresses only.
func (p *TargetPolicy) CheckHostPort(hostport string) error {
	if !p.Enabled() {
		return nil
	}
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return &BlockedTargetError{Reason: fmt.Sprintf("%q is not a resolved address", hostport)}
	}
	return p.Check(ap)
}

// Control is a net.Dialer Control hook enforcing the policy on the
// address the socket is about to connect to: after name resolution, so
// DNS rebinding cannot get around it.
func (p *TargetPolicy) Control(_, address string, _ syscall.RawConn) error {
	return p.CheckHostPort(address)
}

// Enabled reports whether the policy refuses anything.
func (p *TargetPolicy) Enabled() bool { return p != nil && p.DenyPrivate }

// String describes the policy for the log.
func (p *TargetPolicy) String() string {
	if !p.Enabled() {
		return "off: postbacks may go to any address"
	}
	s := "on: private, loopback, link-local and the sandbox's own addresses refused"
	if len(p.Allow) > 0 {
		var a []string
		for _, pre := range p.Allow {
			a = append(a, pre.String())
		}
		s += "; allowed: " + strings.Join(a, ",")
	}
	return s
}

// ParseAllowTargets parses a comma-separated list of CIDR ranges or
// single addresses (--allow-targets).
func ParseAllowTargets(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if pre, err := netip.ParsePrefix(f); err == nil {
			out = append(out, pre.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("allow-targets: %q is neither a CIDR range (10.1.0.0/16) nor an address", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// checkResolved applies the policy to a host's resolved addresses and
// the port: it returns those allowed, or the first refusal when none
// is.
func (p *TargetPolicy) checkResolved(addrs []string, port uint16) ([]string, error) {
	if !p.Enabled() {
		return addrs, nil
	}
	var ok []string
	var first error
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			err = &BlockedTargetError{Reason: fmt.Sprintf("resolver answered %q, not an address", s)}
		} else {
			err = p.Check(netip.AddrPortFrom(a, port))
		}
		if err == nil {
			ok = append(ok, s)
		} else if first == nil {
			first = err
		}
	}
	if len(ok) == 0 {
		return nil, first
	}
	return ok, nil
}
