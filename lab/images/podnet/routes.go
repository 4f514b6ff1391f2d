package main

import (
	"net"

	"github.com/vishvananda/netlink"
)

// routeProtocol marks the routes podnet makes (a private number from the unassigned range of
// rtnetlink's rtm_protocol), so it lists and removes only its own.
const routeProtocol netlink.RouteProtocol = 0xa7

// routeTable is where routes go; netlinkRoutes in the node's network namespace.
type routeTable interface {
	list() ([]Route, error)
	replace(Route) error
	remove(Route) error
}

type netlinkRoutes struct{}

func (netlinkRoutes) list() ([]Route, error) {
	rs, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return nil, err
	}
	out := make([]Route, 0, len(rs))
	for _, r := range rs {
		if r.Dst == nil || r.Gw == nil {
			continue
		}
		out = append(out, Route{Dst: r.Dst.String(), Via: r.Gw.String()})
	}
	return out, nil
}

func (netlinkRoutes) replace(r Route) error {
	nr, err := toNetlink(r)
	if err != nil {
		return err
	}
	return netlink.RouteReplace(nr)
}

func (netlinkRoutes) remove(r Route) error {
	nr, err := toNetlink(r)
	if err != nil {
		return err
	}
	return netlink.RouteDel(nr)
}

func toNetlink(r Route) (*netlink.Route, error) {
	_, dst, err := net.ParseCIDR(r.Dst)
	if err != nil {
		return nil, err
	}
	return &netlink.Route{Dst: dst, Gw: net.ParseIP(r.Via), Protocol: routeProtocol}, nil
}
