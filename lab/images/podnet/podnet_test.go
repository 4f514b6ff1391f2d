package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

func node(name, cidr, ip string) Node {
	var n Node
	n.Metadata.Name = name
	n.Spec.PodCIDR = cidr
	if ip != "" {
		n.Status.Addresses = append(n.Status.Addresses, struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		}{"InternalIP", ip})
	}
	return n
}

func TestRenderConflist(t *testing.T) {
	b, err := RenderConflist("10.244.1.0/28", "/var/lib/cni/hcp-lab/n1")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		CNIVersion string           `json:"cniVersion"`
		Plugins    []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.CNIVersion != "1.0.0" || len(c.Plugins) != 3 {
		t.Fatalf("unexpected conflist: %s", b)
	}
	br := c.Plugins[0]
	if br["type"] != "bridge" || br["bridge"] != "cni0" || br["isGateway"] != true || br["ipMasq"] != false || br["hairpinMode"] != true {
		t.Fatalf("bridge plugin: %v", br)
	}
	ipam := br["ipam"].(map[string]any)
	if ipam["type"] != "host-local" || ipam["dataDir"] != "/var/lib/cni/hcp-lab/n1" {
		t.Fatalf("ipam: %v", ipam)
	}
	subnet := ipam["ranges"].([]any)[0].([]any)[0].(map[string]any)["subnet"]
	if subnet != "10.244.1.0/28" {
		t.Fatalf("subnet %v", subnet)
	}
	if routes, _ := json.Marshal(ipam["routes"]); string(routes) != `[{"dst":"0.0.0.0/0"}]` {
		t.Fatalf("ipam routes %s: the pod needs its default route", routes)
	}
	if c.Plugins[1]["type"] != "portmap" || c.Plugins[2]["type"] != "loopback" {
		t.Fatalf("chain: %v", c.Plugins)
	}
	if _, err := RenderConflist("fd00::/64", "/x"); err == nil {
		t.Fatal("IPv6 podCIDR accepted")
	}
}

func TestDesiredAndDiffRoutes(t *testing.T) {
	nodes := []Node{
		node("n1", "10.244.0.0/28", "198.18.0.11"),
		node("n2", "10.244.0.16/28", "198.18.0.12"),
		node("n3", "10.244.0.32/28", "198.18.0.13"),
		node("n4", "", "198.18.0.14"),           // no podCIDR yet
		node("n5", "10.244.0.64/28", ""),        // no address yet
		node("n6", "10.244.0.80/28", "fd00::1"), // IPv6 only
	}
	want := DesiredRoutes("n1", nodes)
	exp := []Route{{"10.244.0.16/28", "198.18.0.12"}, {"10.244.0.32/28", "198.18.0.13"}}
	if !reflect.DeepEqual(want, exp) {
		t.Fatalf("desired %v, want %v", want, exp)
	}
	have := []Route{
		{"10.244.0.16/28", "198.18.0.12"}, // kept
		{"10.244.0.32/28", "198.18.0.99"}, // node moved: replaced
		{"10.244.0.48/28", "198.18.0.15"}, // node gone: removed
	}
	add, del := DiffRoutes(have, want)
	if !reflect.DeepEqual(add, []Route{{"10.244.0.32/28", "198.18.0.13"}}) {
		t.Fatalf("add %v", add)
	}
	if !reflect.DeepEqual(del, []Route{{"10.244.0.48/28", "198.18.0.15"}}) {
		t.Fatalf("del %v", del)
	}
	add, del = DiffRoutes(want, want)
	if len(add) != 0 || len(del) != 0 {
		t.Fatalf("steady state not empty: %v %v", add, del)
	}
}
