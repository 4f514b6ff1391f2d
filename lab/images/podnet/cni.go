package main

import (
	"encoding/json"
	"fmt"
	"net"
)

// ConfFileName is the CNI config podnet owns in the node's CNI config dir.
const ConfFileName = "10-hcp-bridge.conflist"

// RenderConflist is the CNI config for a node whose pods get addresses from podCIDR: bridge cni0
// as the pods' gateway (no masquerade: pods are reached by their own addresses over the routes),
// hairpin mode so a pod can reach itself through a Service, host-local IPAM with its own dataDir
// and a default route via cni0, then portmap (hostPort) and loopback chained.
func RenderConflist(podCIDR, dataDir string) ([]byte, error) {
	ip, subnet, err := net.ParseCIDR(podCIDR)
	if err != nil {
		return nil, fmt.Errorf("podCIDR %q: %w", podCIDR, err)
	}
	if ip.To4() == nil {
		return nil, fmt.Errorf("podCIDR %q: only IPv4 is supported", podCIDR)
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "hcp-bridge",
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      "cni0",
				"isGateway":   true,
				"ipMasq":      false,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": []any{[]any{map[string]any{"subnet": subnet.String()}}},
					// the pod's default route, via the gateway (cni0's address): without it a pod
					// reaches only its own node's subnet
					"routes":  []any{map[string]any{"dst": "0.0.0.0/0"}},
					"dataDir": dataDir,
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
			map[string]any{"type": "loopback"},
		},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
