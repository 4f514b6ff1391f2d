package main

import (
	"testing"

	"github.com/vishvananda/netlink"
)

// TestClearStaleBridgeInNetns: a cni0 with another cluster's gateway is deleted, one with this
// node's gateway is kept, none at all is no error. Needs root (a private network namespace).
func TestClearStaleBridgeInNetns(t *testing.T) {
	enterPrivateNetns(t)
	must(t, clearStaleBridge("10.210.1.0/24")) // no bridge yet
	addBridge := func(cidr string) {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: BridgeName}}
		must(t, netlink.LinkAdd(br))
		a, _ := netlink.ParseAddr(cidr)
		must(t, netlink.AddrAdd(br, a))
	}
	exists := func() bool { _, err := netlink.LinkByName(BridgeName); return err == nil }

	addBridge("10.210.1.1/24")
	must(t, clearStaleBridge("10.210.1.0/24"))
	if !exists() {
		t.Fatal("a bridge with this node's gateway was deleted")
	}
	must(t, clearStaleBridge("10.200.3.0/24"))
	if exists() {
		t.Fatal("a bridge with another cluster's gateway (10.210.1.1) was kept")
	}
}
