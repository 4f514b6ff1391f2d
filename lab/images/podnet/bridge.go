package main

import (
	"errors"
	"fmt"
	"log"
	"net"

	"github.com/vishvananda/netlink"
)

// BridgeName is the bridge the CNI config's bridge plugin puts pods on (see RenderConflist).
const BridgeName = "cni0"

// clearStaleBridge deletes cni0 when it carries an IPv4 address outside podCIDR: a host that was a
// node of another cluster (kubeadm reset leaves CNI state behind) keeps that cluster's gateway on
// it, and the bridge plugin then refuses every new pod ("cni0 already has an IP address different
// from ..."). The plugin makes the bridge again, with the right address, for the next pod.
func clearStaleBridge(podCIDR string) error {
	_, want, err := net.ParseCIDR(podCIDR)
	if err != nil {
		return fmt.Errorf("podCIDR %q: %w", podCIDR, err)
	}
	link, err := netlink.LinkByName(BridgeName)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return nil
		}
		return err
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if !want.Contains(a.IP) {
			log.Printf("deleting %s: its address %s is not in this node's podCIDR %s (left from another cluster)", BridgeName, a.IPNet, podCIDR)
			return netlink.LinkDel(link)
		}
	}
	return nil
}
