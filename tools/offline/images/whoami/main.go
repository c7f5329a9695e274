// Command whoami is a tiny HTTP server compatible with traefik/whoami (which
// the Go module proxy does not serve here), standard library only.
//
//	GET /            Name (if set), Hostname, IP (one line per interface
//	                 address), RemoteAddr, then the request line and headers.
//	                 ?wait=1s delays the answer; ?env=true adds the environment.
//	GET /api         the same as JSON.
//	GET /health      200 (or the code last POSTed to /health, e.g. "500").
//	GET /data?size=N N bytes of payload (size in bytes, default 1).
//
// Every answer carries "X-Whoami-Variant: <WHOAMI_VARIANT>" when that variable
// is set (the image sets it: v1 or v2, so a rolling update can be observed).
//
// Flags / environment: --port / WHOAMI_PORT_NUMBER (default 80),
// --name / WHOAMI_NAME. SIGTERM/SIGINT: graceful shutdown.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type server struct {
	name    string
	variant string

	mu         sync.RWMutex
	healthCode int
}

func main() {
	port := flag.String("port", envOr("WHOAMI_PORT_NUMBER", "80"), "port to listen on (env WHOAMI_PORT_NUMBER)")
	name := flag.String("name", os.Getenv("WHOAMI_NAME"), "name printed as \"Name: <name>\" (env WHOAMI_NAME)")
	verbose := flag.Bool("verbose", false, "log each request")
	flag.Parse()

	s := &server{name: *name, variant: os.Getenv("WHOAMI_VARIANT"), healthCode: http.StatusOK}

	mux := http.NewServeMux()
	mux.HandleFunc("/", s.whoami)
	mux.HandleFunc("/api", s.api)
	mux.HandleFunc("/health", s.health)
	mux.HandleFunc("/data", s.data)

	var handler http.Handler = mux
	if *verbose {
		inner := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.Printf("%s %s %s", r.RemoteAddr, r.Method, r.URL)
			inner.ServeHTTP(w, r)
		})
	}
	variant := s.variant
	withVariant := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if variant != "" {
			w.Header().Set("X-Whoami-Variant", variant)
		}
		handler.ServeHTTP(w, r)
	})

	srv := &http.Server{
		Addr:              ":" + *port,
		Handler:           withVariant,
		ReadHeaderTimeout: 10 * time.Second,
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	log.Printf("whoami listening on %s", srv.Addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func ips() []string {
	var out []string
	ifaces, err := net.Interfaces()
	if err != nil {
		return out
	}
	for _, iface := range ifaces {
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			switch v := a.(type) {
			case *net.IPNet:
				out = append(out, v.IP.String())
			case *net.IPAddr:
				out = append(out, v.IP.String())
			}
		}
	}
	return out
}

func wait(r *http.Request) {
	if d, err := time.ParseDuration(r.URL.Query().Get("wait")); err == nil && d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	}
}

func (s *server) whoami(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	wait(r)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	hostname, _ := os.Hostname()
	if s.name != "" {
		fmt.Fprintln(w, "Name:", s.name)
	}
	fmt.Fprintln(w, "Hostname:", hostname)
	for _, ip := range ips() {
		fmt.Fprintln(w, "IP:", ip)
	}
	fmt.Fprintln(w, "RemoteAddr:", r.RemoteAddr)
	// Request line and headers, as received (Host first, like traefik/whoami).
	if err := r.Write(w); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if ok, _ := strconv.ParseBool(r.URL.Query().Get("env")); ok {
		for _, e := range os.Environ() {
			fmt.Fprintln(w, e)
		}
	}
}

func (s *server) api(w http.ResponseWriter, r *http.Request) {
	wait(r)
	hostname, _ := os.Hostname()
	headers := map[string][]string{}
	for k, v := range r.Header {
		headers[k] = v
	}
	data := struct {
		Hostname   string              `json:"hostname"`
		IP         []string            `json:"ip"`
		Headers    map[string][]string `json:"headers"`
		URL        string              `json:"url"`
		Host       string              `json:"host"`
		Method     string              `json:"method"`
		Name       string              `json:"name,omitempty"`
		Variant    string              `json:"variant,omitempty"`
		RemoteAddr string              `json:"remoteAddr"`
		Environ    map[string]string   `json:"environ,omitempty"`
	}{
		Hostname:   hostname,
		IP:         ips(),
		Headers:    headers,
		URL:        r.URL.RequestURI(),
		Host:       r.Host,
		Method:     r.Method,
		Name:       s.name,
		Variant:    s.variant,
		RemoteAddr: r.RemoteAddr,
	}
	if ok, _ := strconv.ParseBool(r.URL.Query().Get("env")); ok {
		data.Environ = map[string]string{}
		keys := os.Environ()
		sort.Strings(keys)
		for _, e := range keys {
			k, v, _ := strings.Cut(e, "=")
			data.Environ[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// health answers GET with the current health code (200 unless changed);
// POST/PUT with a status code in the body (e.g. "500") changes it.
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 16))
		code, err := strconv.Atoi(strings.TrimSpace(string(body)))
		if err != nil || code < 100 || code > 599 {
			http.Error(w, "body must be an HTTP status code", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.healthCode = code
		s.mu.Unlock()
		fmt.Fprintf(w, "health code set to %d\n", code)
		return
	}
	s.mu.RLock()
	code := s.healthCode
	s.mu.RUnlock()
	w.WriteHeader(code)
	fmt.Fprintln(w, http.StatusText(code))
}

func (s *server) data(w http.ResponseWriter, r *http.Request) {
	size, err := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	if err != nil || size < 0 {
		size = 1
	}
	const max = 1 << 30
	if size > max {
		size = max
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	chunk := []byte(strings.Repeat("|", 32*1024))
	for size > 0 {
		n := int64(len(chunk))
		if n > size {
			n = size
		}
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		size -= n
	}
}
