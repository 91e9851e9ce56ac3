package observer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

//go:embed web
var webFiles embed.FS

// server is the web server of an Agent: the page, its JSON API and its
// event stream (stream.go).
type server struct {
	a        *Agent
	ln       net.Listener
	hs       *http.Server
	url      string
	token    string // "" on loopback: no token needed
	loopback bool
	cv       *clusterWatch
}

// ErrNeedCookie is returned by Serve for an address other than loopback
// when the agent has no cookie to derive the access token from.
var ErrNeedCookie = errors.New("an observer on an address other than loopback needs the node's cookie for its access token")

// Token returns the access token of a page served on an address other
// than loopback: derived from the cookie, so that whoever may connect a
// node to the cluster may look at it, and nobody else.
func Token(cookie string) string {
	mac := hmac.New(sha256.New, []byte(cookie))
	mac.Write([]byte("gerl observer access token"))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// Serve starts the web server on addr (host:port; port 0 picks one),
// unless it runs already, and returns the page's URL (with the access
// token when addr is not loopback). An empty addr means 127.0.0.1:0.
func (a *Agent) Serve(addr string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.srv != nil {
		return a.srv.url, nil
	}
	select {
	case <-a.done:
		return "", errors.New("observer: the node is stopping")
	default:
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("observer: address %q: %w", addr, err)
	}
	s := &server{a: a, loopback: isLoopback(host)}
	if !s.loopback {
		if a.cfg.Cookie == nil {
			return "", fmt.Errorf("observer on %s: %w", addr, ErrNeedCookie)
		}
		cookie, err := a.cfg.Cookie()
		if err != nil || cookie == "" {
			return "", fmt.Errorf("observer on %s: %w: %v", addr, ErrNeedCookie, err)
		}
		s.token = Token(cookie)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("observer: %w", err)
	}
	s.ln = ln
	shown := ln.Addr().String()
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		// Every interface: name the machine, which a browser elsewhere
		// can reach.
		if h, err := os.Hostname(); err == nil {
			shown = net.JoinHostPort(h, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		}
	}
	s.url = "http://" + shown + "/"
	if s.token != "" {
		s.url += "?token=" + s.token
	}
	s.cv = newClusterWatch(a)
	s.hs = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	a.srv = s
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Warn("observer: web server stopped", "err", err)
		}
	}()
	return s.url, nil
}

// URL returns the page's URL, or "" if Serve was not called.
func (a *Agent) URL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.srv == nil {
		return ""
	}
	return a.srv.url
}

func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.cv.close()
	_ = s.hs.Shutdown(ctx) // open streams end with a.done
	_ = s.hs.Close()
}

// isLoopback reports whether host names this machine's loopback only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFiles, "web")
	files := http.FileServer(http.FS(static))
	mux.Handle("GET /", files)
	mux.HandleFunc("GET /api/cluster", s.getCluster)
	mux.HandleFunc("GET /api/processes", s.getProcesses)
	mux.HandleFunc("GET /api/process", s.getProcess)
	mux.HandleFunc("GET /api/trees", s.getTrees)
	mux.HandleFunc("GET /api/trace", s.getTrace)
	mux.HandleFunc("POST /api/trace", s.postTrace)
	mux.HandleFunc("POST /api/kill", s.postKill)
	mux.HandleFunc("GET /api/events", s.getEvents)
	return s.guard(mux)
}

// guard refuses what the page must not serve: a Host that is not this
// server's on loopback (a web page elsewhere reaching it through DNS
// rebinding), a request without the token elsewhere, and a POST without
// the page's own header (a form posted by another site).
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
		if s.loopback {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			if !isLoopback(strings.Trim(host, "[]")) {
				http.Error(w, "this observer answers requests for a loopback address only", http.StatusForbidden)
				return
			}
		} else if !s.authorized(w, r) {
			http.Error(w, "this observer needs its access token: open the URL observer() printed, with its ?token=", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && r.Header.Get("X-Gerl-Observer") != "1" {
			http.Error(w, "requests that change something must come from the observer's page", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

const tokenCookie = "gerl_observer"

// authorized checks the token, from the query (then kept in a cookie for
// the page's own requests) or the cookie.
func (s *server) authorized(w http.ResponseWriter, r *http.Request) bool {
	ok := func(t string) bool { return subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1 }
	if t := r.URL.Query().Get("token"); t != "" {
		if !ok(t) {
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	c, err := r.Cookie(tokenCookie)
	return err == nil && ok(c.Value)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(s))
}

func fail(w http.ResponseWriter, code int, err error) {
	http.Error(w, err.Error(), code)
}

// nodeParam returns the node a request names: this one by default, or a
// node this one is connected to (the page cannot make it dial others).
func (s *server) nodeParam(r *http.Request) (term.Atom, bool) {
	nd := term.Atom(r.URL.Query().Get("node"))
	self := s.a.node.Name()
	if nd == "" || nd == self {
		return self, true
	}
	if s.a.dist == nil {
		return "", false
	}
	for _, p := range s.a.dist.Peers() {
		if p.Node == nd && p.State == "up" {
			return nd, true
		}
	}
	return "", false
}

func (s *server) getCluster(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.cv.view())
}

func (s *server) getProcesses(w http.ResponseWriter, r *http.Request) {
	nd, ok := s.nodeParam(r)
	if !ok {
		fail(w, http.StatusNotFound, fmt.Errorf("no connected node %q", r.URL.Query().Get("node")))
		return
	}
	qv := r.URL.Query()
	q := ProcQuery{Sort: qv.Get("sort"), Desc: qv.Get("desc") == "1", Filter: qv.Get("filter")}
	q.Offset, _ = strconv.Atoi(qv.Get("offset"))
	q.Limit, _ = strconv.Atoi(qv.Get("limit"))
	if nd == s.a.node.Name() {
		writeJSON(w, s.a.processes(q))
		return
	}
	b, _ := json.Marshal(q)
	out, err := s.a.rpc(r.Context(), nd, fnProcesses, string(b))
	if err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	writeRaw(w, out)
}

func (s *server) getProcess(w http.ResponseWriter, r *http.Request) {
	pid, err := term.ParsePid(r.URL.Query().Get("pid"))
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if pid.Node == s.a.node.Name() {
		v, ok := s.a.process(pid)
		if !ok {
			fail(w, http.StatusNotFound, fmt.Errorf("no process %s", pid))
			return
		}
		writeJSON(w, v)
		return
	}
	r.URL.RawQuery = "node=" + string(pid.Node)
	if _, ok := s.nodeParam(r); !ok {
		fail(w, http.StatusNotFound, fmt.Errorf("%s is not connected", pid.Node))
		return
	}
	out, err := s.a.rpc(r.Context(), pid.Node, fnProcess, pid)
	if err != nil {
		fail(w, http.StatusNotFound, err)
		return
	}
	writeRaw(w, out)
}

func (s *server) getTrees(w http.ResponseWriter, r *http.Request) {
	nd, ok := s.nodeParam(r)
	if !ok {
		fail(w, http.StatusNotFound, fmt.Errorf("no connected node %q", r.URL.Query().Get("node")))
		return
	}
	out, err := s.a.treesJSON(r.Context(), nd)
	if err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	writeRaw(w, out)
}

// treesJSON returns the supervision trees of node nd.
func (a *Agent) treesJSON(ctx context.Context, nd term.Atom) (string, error) {
	if nd != a.node.Name() {
		return a.rpc(ctx, nd, fnTrees)
	}
	var trees []Tree
	if err := a.local(func(p *node.Proc) { trees = a.trees(p) }); err != nil {
		return "", err
	}
	return jsonText(trees)
}

func (s *server) getTrace(w http.ResponseWriter, r *http.Request) {
	s.a.mu.Lock()
	evs := append([]Event{}, s.a.recent...)
	s.a.mu.Unlock()
	writeJSON(w, evs)
}

// traceRequest is the body of POST /api/trace: Target is all, a pid, or a
// registered name on Node.
type traceRequest struct {
	Target string `json:"target"`
	Node   string `json:"node"`
	On     bool   `json:"on"`
}

func (s *server) postTrace(w http.ResponseWriter, r *http.Request) {
	var req traceRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	var target any
	switch {
	case req.Target == "all":
		target = atomAll
	case strings.HasPrefix(req.Target, "<"):
		pid, err := term.ParsePid(req.Target)
		if err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		target = pid
	case req.Target != "":
		nd := term.Atom(req.Node)
		if nd == "" {
			nd = s.a.node.Name()
		}
		target = term.Name{Name: term.Atom(req.Target), Node: nd}
	default:
		fail(w, http.StatusBadRequest, errors.New("trace what? give a target: all, a pid or a name"))
		return
	}
	nodes, err := s.a.Trace(r.Context(), target, req.On)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, map[string]any{"ok": true, "nodes": nodes})
}

func (s *server) postKill(w http.ResponseWriter, r *http.Request) {
	if !s.a.cfg.AllowKill {
		fail(w, http.StatusForbidden, errors.New("this observer is read-only (start the node with -observer_allow_kill to kill from the page)"))
		return
	}
	var req struct {
		Pid string `json:"pid"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	pid, err := term.ParsePid(req.Pid)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if err := s.a.node.Exit(pid, term.Kill); err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	writeJSON(w, map[string]any{"ok": true})
}
