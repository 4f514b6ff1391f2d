package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Node is the part of a Kubernetes Node podnet reads.
type Node struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		PodCIDR string `json:"podCIDR"`
	} `json:"spec"`
	Status struct {
		Addresses []struct {
			Type    string `json:"type"`
			Address string `json:"address"`
		} `json:"addresses"`
	} `json:"status"`
}

// InternalIPv4 is the Node's first IPv4 InternalIP, or "".
func (n *Node) InternalIPv4() string {
	for _, a := range n.Status.Addresses {
		if a.Type == "InternalIP" {
			if ip := net.ParseIP(a.Address); ip != nil && ip.To4() != nil {
				return ip.String()
			}
		}
	}
	return ""
}

// client is a minimal Kubernetes API client: bearer token (re-read on every request, since
// projected tokens rotate) over TLS verified against the service-account CA.
type client struct {
	base      string
	tokenFile string
	http      *http.Client
}

func newClientFromEnv(saDir string) (*client, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, fmt.Errorf("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
	}
	caPEM, err := os.ReadFile(filepath.Join(saDir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s/ca.crt holds no certificate", saDir)
	}
	return &client{
		base:      "https://" + net.JoinHostPort(host, port),
		tokenFile: filepath.Join(saDir, "token"),
		http: &http.Client{
			Timeout:   15 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		},
	}, nil
}

func (c *client) listNodes(ctx context.Context) ([]Node, error) {
	var list struct {
		Items []Node `json:"items"`
	}
	if err := c.get(ctx, "/api/v1/nodes", &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

func (c *client) get(ctx context.Context, path string, into any) error {
	token, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, into)
}
