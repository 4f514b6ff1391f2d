package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// enterPrivateNetns moves the test's thread into a network namespace of its own (discarded with the
// thread). The lab runs as root, so a test that cannot fails rather than skips.
func enterPrivateNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("needs root for a network namespace")
	}
	runtime.LockOSThread()
	must(t, unix.Unshare(unix.CLONE_NEWNET))
}

// TestApplyInNetns runs the whole reconciliation (config file, routes added, changed and removed,
// foreign routes untouched) in a private network namespace. Needs root.
func TestApplyInNetns(t *testing.T) {
	enterPrivateNetns(t)
	link := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "lab0"}}
	must(t, netlink.LinkAdd(link))
	addr, _ := netlink.ParseAddr("198.18.0.11/24")
	must(t, netlink.AddrAdd(link, addr))
	must(t, netlink.LinkSetUp(link))
	// a route podnet did not make, in a podCIDR-like range: must survive
	_, foreign, _ := net.ParseCIDR("10.244.9.0/28")
	must(t, netlink.RouteAdd(&netlink.Route{Dst: foreign, Gw: net.ParseIP("198.18.0.99")}))

	dir := t.TempDir()
	a := &agent{node: "n1", confPath: filepath.Join(dir, "net.d", ConfFileName), dataDir: "/var/lib/cni/hcp-lab/n1", routes: netlinkRoutes{}}
	nodes := []Node{
		node("n1", "10.244.0.0/28", "198.18.0.11"),
		node("n2", "10.244.0.16/28", "198.18.0.12"),
		node("n3", "10.244.0.32/28", "198.18.0.13"),
	}
	must(t, a.apply(nodes))
	if got := ourRoutes(t); !equal(got, []string{"10.244.0.16/28 via 198.18.0.12", "10.244.0.32/28 via 198.18.0.13"}) {
		t.Fatalf("routes after first sync: %v", got)
	}
	conf, err := os.ReadFile(a.confPath)
	must(t, err)
	want, _ := RenderConflist("10.244.0.0/28", "/var/lib/cni/hcp-lab/n1")
	if string(conf) != string(want) {
		t.Fatalf("conflist:\n%s", conf)
	}

	// n3 leaves, n2 moves, n4 joins
	nodes = []Node{
		node("n1", "10.244.0.0/28", "198.18.0.11"),
		node("n2", "10.244.0.16/28", "198.18.0.22"),
		node("n4", "10.244.0.48/28", "198.18.0.14"),
	}
	must(t, a.apply(nodes))
	if got := ourRoutes(t); !equal(got, []string{"10.244.0.16/28 via 198.18.0.22", "10.244.0.48/28 via 198.18.0.14"}) {
		t.Fatalf("routes after second sync: %v", got)
	}
	all, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	must(t, err)
	kept := false
	for _, r := range all {
		if r.Dst != nil && r.Dst.String() == foreign.String() {
			kept = true
		}
	}
	if !kept {
		t.Fatal("a route podnet did not make was removed")
	}
}

// TestClientListsNodes: bearer token from the token file, TLS checked against ca.crt.
func TestClientListsNodes(t *testing.T) {
	var gotAuth string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		if r.URL.Path != "/api/v1/nodes" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": []Node{node("n1", "10.244.0.0/28", "198.18.0.11")}})
	}))
	defer srv.Close()
	sa := t.TempDir()
	must(t, os.WriteFile(filepath.Join(sa, "token"), []byte("tok-123\n"), 0o600))
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	must(t, os.WriteFile(filepath.Join(sa, "ca.crt"), ca, 0o644))
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	t.Setenv("KUBERNETES_SERVICE_HOST", host)
	t.Setenv("KUBERNETES_SERVICE_PORT", port)
	c, err := newClientFromEnv(sa)
	must(t, err)
	nodes, err := c.listNodes(context.Background())
	must(t, err)
	if gotAuth != "Bearer tok-123" || len(nodes) != 1 || nodes[0].Spec.PodCIDR != "10.244.0.0/28" || nodes[0].InternalIPv4() != "198.18.0.11" {
		t.Fatalf("auth %q nodes %+v", gotAuth, nodes)
	}
	// a CA that did not sign the server's certificate is refused
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other-ca"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(sa, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	c, err = newClientFromEnv(sa)
	must(t, err)
	if _, err := c.listNodes(context.Background()); err == nil {
		t.Fatal("a server certificate from another CA was accepted")
	}
}

func ourRoutes(t *testing.T) []string {
	rs, err := netlinkRoutes{}.list()
	must(t, err)
	var out []string
	for _, r := range rs {
		out = append(out, r.Dst+" via "+r.Via)
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
