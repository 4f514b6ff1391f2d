// Command podnet is the lab's pod network agent. It runs as a hostNetwork DaemonSet pod on every
// node and does what a routed "bridge + host-local" CNI setup needs:
//
//   - reads its own Node's spec.podCIDR from the Kubernetes API and writes the CNI config
//     (/host/etc/cni/net.d/10-hcp-bridge.conflist: bridge cni0 as the gateway, host-local IPAM on
//     that subnet, portmap and loopback chained);
//   - every 10 s, routes every other Node's podCIDR via that Node's InternalIP, and removes the
//     routes it made for Nodes that are gone (its routes carry their own routing protocol number,
//     so it never touches routes it did not make).
//
// The API is reached directly at $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with the pod's
// service-account token and CA; the ServiceAccount needs get/list on nodes.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	var (
		confDir  = flag.String("cni-conf-dir", "/host/etc/cni/net.d", "where the CNI config is written")
		dataDir  = flag.String("ipam-data-dir", "", "host-local's dataDir (default /var/lib/cni/hcp-lab/$NODE_NAME)")
		saDir    = flag.String("sa-dir", "/var/run/secrets/kubernetes.io/serviceaccount", "service-account token and CA")
		interval = flag.Duration("interval", 10*time.Second, "how often routes are reconciled")
		once     = flag.Bool("once", false, "reconcile once and exit")
		noRoutes = flag.Bool("no-routes", false, "write the CNI config only, leave routes alone")
		print    = flag.String("print-conflist", "", "print the CNI config for this podCIDR and exit")
	)
	flag.Parse()
	if *print != "" {
		conf, err := RenderConflist(*print, *dataDir)
		if err != nil {
			log.Fatal(err)
		}
		os.Stdout.Write(conf)
		return
	}
	nodeName := os.Getenv("NODE_NAME")
	if nodeName == "" {
		log.Fatal("NODE_NAME is not set (give the pod env NODE_NAME from spec.nodeName)")
	}
	if *dataDir == "" {
		*dataDir = filepath.Join("/var/lib/cni/hcp-lab", nodeName)
	}
	api, err := newClientFromEnv(*saDir)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	a := &agent{api: api, node: nodeName, confPath: filepath.Join(*confDir, ConfFileName), dataDir: *dataDir}
	if !*noRoutes {
		a.routes = netlinkRoutes{}
		a.clearBridge = clearStaleBridge
	}
	for {
		if err := a.sync(ctx); err != nil {
			log.Printf("sync: %v", err)
		}
		if *once {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(*interval):
		}
	}
}

// agent holds what one reconciliation needs.
type agent struct {
	api      *client
	node     string
	confPath string
	dataDir  string
	routes   routeTable // nil: routes are not managed
	// clearBridge removes a bridge left from another cluster (nil: the host's links are not managed).
	clearBridge func(podCIDR string) error
}

// sync writes the CNI config for this node's podCIDR (once it is set) and reconciles routes.
func (a *agent) sync(ctx context.Context) error {
	nodes, err := a.api.listNodes(ctx)
	if err != nil {
		return err
	}
	return a.apply(nodes)
}

// apply makes the CNI config and the routes what nodes call for.
func (a *agent) apply(nodes []Node) error {
	var self *Node
	for i := range nodes {
		if nodes[i].Metadata.Name == a.node {
			self = &nodes[i]
		}
	}
	if self == nil {
		return fmt.Errorf("node %q is not registered yet", a.node)
	}
	if self.Spec.PodCIDR == "" {
		return fmt.Errorf("node %q has no spec.podCIDR yet", a.node)
	}
	conf, err := RenderConflist(self.Spec.PodCIDR, a.dataDir)
	if err != nil {
		return err
	}
	changed, err := writeIfChanged(a.confPath, conf)
	if err != nil {
		return err
	}
	if changed {
		log.Printf("wrote %s for podCIDR %s", a.confPath, self.Spec.PodCIDR)
	}
	if a.clearBridge != nil {
		if err := a.clearBridge(self.Spec.PodCIDR); err != nil {
			log.Printf("bridge %s: %v", BridgeName, err)
		}
	}
	if a.routes == nil {
		return nil
	}
	want := DesiredRoutes(a.node, nodes)
	have, err := a.routes.list()
	if err != nil {
		return err
	}
	add, del := DiffRoutes(have, want)
	for _, r := range add {
		if err := a.routes.replace(r); err != nil {
			log.Printf("route %s via %s: %v", r.Dst, r.Via, err)
			continue
		}
		log.Printf("route %s via %s", r.Dst, r.Via)
	}
	for _, r := range del {
		if err := a.routes.remove(r); err != nil {
			log.Printf("removing route %s via %s: %v", r.Dst, r.Via, err)
			continue
		}
		log.Printf("removed route %s via %s", r.Dst, r.Via)
	}
	return nil
}

// writeIfChanged replaces path with data atomically unless it already holds exactly data.
func writeIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}

// Route is one pod-network route: another node's podCIDR via its InternalIP.
type Route struct {
	Dst string // CIDR, canonical form
	Via string // IPv4 address
}

// DesiredRoutes is one route per other Node that has both a podCIDR and an IPv4 InternalIP.
func DesiredRoutes(self string, nodes []Node) []Route {
	var out []Route
	for _, n := range nodes {
		if n.Metadata.Name == self || n.Spec.PodCIDR == "" {
			continue
		}
		_, dst, err := net.ParseCIDR(n.Spec.PodCIDR)
		if err != nil || dst.IP.To4() == nil {
			continue
		}
		via := n.InternalIPv4()
		if via == "" {
			continue
		}
		out = append(out, Route{Dst: dst.String(), Via: via})
	}
	return out
}

// DiffRoutes is what to add (or change) and what to remove to go from have to want.
func DiffRoutes(have, want []Route) (add, del []Route) {
	haveBy := map[string]string{}
	for _, r := range have {
		haveBy[r.Dst] = r.Via
	}
	wantBy := map[string]bool{}
	for _, r := range want {
		wantBy[r.Dst] = true
		if haveBy[r.Dst] != r.Via {
			add = append(add, r)
		}
	}
	for _, r := range have {
		if !wantBy[r.Dst] {
			del = append(del, r)
		}
	}
	return add, del
}
