// Command echo is the lab's workload for tests: an HTTP server on :8080 (or $PORT) whose `/`
// answers with the pod's hostname and IP, whose `/healthz` answers "ok", and whose
// `/fetch?url=http://…` fetches another page from inside the pod (pod-to-pod traffic for tests).
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	hostname, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	client := &http.Client{Timeout: 5 * time.Second}
	mux.HandleFunc("/fetch", func(w http.ResponseWriter, r *http.Request) {
		target := r.URL.Query().Get("url")
		if !strings.HasPrefix(target, "http://") {
			http.Error(w, "url: give an http:// URL to fetch", http.StatusBadRequest)
			return
		}
		res, err := client.Get(target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hostname=%s ip=%s client=%s\n", hostname, podIP(), r.RemoteAddr)
	})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		os.Exit(0)
	}()
	log.Printf("echo listening on :%s (hostname %s, ip %s)", port, hostname, podIP())
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

// podIP is $POD_IP when the downward API sets it, else the first non-loopback IPv4 address.
func podIP() string {
	if ip := os.Getenv("POD_IP"); ip != "" {
		return ip
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}
