package main

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// targetPolicy builds the impact target policy of serve: --deny-private-targets
// as given, or by default on unless the server listens on loopback only;
// --allow-targets opens ranges; the listen address is always refused.
func targetPolicy(deny, given bool, allow string, listen net.Addr) (*mockimpact.TargetPolicy, error) {
	self := selfAddrs(listen)
	if !given {
		deny = !loopbackOnly(listen)
	}
	ranges, err := mockimpact.ParseAllowTargets(allow)
	if err != nil {
		return nil, fmt.Errorf("--allow-targets: %w", err)
	}
	return &mockimpact.TargetPolicy{DenyPrivate: deny, Allow: ranges, Self: self}, nil
}

// loopbackOnly reports whether a listener on addr is reachable from this
// host only.
func loopbackOnly(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// selfAddrs are the addresses a listener on addr answers at: addr
// itself, or, for an unspecified address, loopback and every
// interface's address, with its port.
func selfAddrs(addr net.Addr) []netip.AddrPort {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil
	}
	if !ap.Addr().IsUnspecified() {
		return []netip.AddrPort{netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
	}
	out := []netip.AddrPort{
		netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port()),
		netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ap.Port()),
		netip.AddrPortFrom(netip.IPv6Loopback(), ap.Port()),
	}
	ifaddrs, _ := net.InterfaceAddrs() // none known: loopback and the private ranges are refused anyway
	for _, ia := range ifaddrs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil {
			out = append(out, netip.AddrPortFrom(p.Addr().Unmap(), ap.Port()))
		}
	}
	return out
}
