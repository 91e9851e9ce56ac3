package hotload

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Config configures a code server.
type Config struct {
	// Env is the node's Env, attached to its node. Required.
	Env *eval.Env
	// CodePath lists the directories searched for modules by name (erl's
	// -pa), in order, before Dir. Relative ones are taken from Dir.
	CodePath []string
	// Dir is the current directory: searched last, and the base of
	// relative paths given to c(). Empty means the process's.
	Dir string
	// Watch starts watching loaded modules' sources at once (-watch).
	Watch bool
	// Debounce is how long a module's files must stay quiet after a
	// change before watch reloads it; 0 means 100 ms.
	Debounce time.Duration
	// NetTimeout bounds each node's answer to nl; 0 means 30 s.
	NetTimeout time.Duration
	// Logger receives reloads by watch, purges and the processes they
	// kill. Nil uses the node's logger.
	Logger *slog.Logger
	// Stdout receives what module code prints (fmt.Print*, println); nil
	// means the Env's Output, which sends it where the printing process's
	// group leader prints (eval/output.go). Stderr receives the
	// interpreter's panic traces; nil discards them.
	Stdout, Stderr io.Writer
}

// Server is a node's code server: it loads modules, keeps their versions,
// resolves module functions by name for spawn and rpc, answers other
// nodes' nl, and watches sources. New installs it in its Env. Every method
// is safe for concurrent use. Loads, reloads and purges are serialized;
// calls into modules never wait for them.
//
// Goroutines: while watching, one watcher; Close ends it.
type Server struct {
	env        *eval.Env
	log        *slog.Logger
	dir        string
	debounce   time.Duration
	netTimeout time.Duration
	stdout     io.Writer
	stderr     io.Writer
	tables     symbolTables // what module interpreters Use, but modules
	types      *typeCache
	reserved   map[string]bool
	procs      procTable

	loadMu sync.Mutex // serializes loads and purges, commits included

	mu       sync.RWMutex // protects following
	path     []string     // the code path, absolute, Dir last
	mods     map[string]*module
	watching *watcher
	closed   bool
}

// New starts a code server for cfg.Env's node. It adds the code built-ins
// (c, l, nl, lm, m, purge, soft_purge, watch) to the shell, installs the
// server as the Env's resolver (spawn and rpc of "module.Func"), and
// registers LoadFunc, which nl on other nodes calls. Call it once per Env
// (sessions started before and after get the built-ins); Close it when the
// node stops.
func New(cfg Config) (*Server, error) {
	if cfg.Env == nil || cfg.Env.Node() == nil {
		return nil, errors.New("hotload: an Env attached to a node is required")
	}
	dir := cfg.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("hotload: %w", err)
		}
		dir = wd
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("hotload: %w", err)
	}
	s := &Server{
		env: cfg.Env, log: cfg.Logger, dir: dir,
		debounce: cfg.Debounce, netTimeout: cfg.NetTimeout,
		stdout: cfg.Stdout, stderr: cfg.Stderr,
		mods: map[string]*module{},
	}
	if s.log == nil {
		s.log = cfg.Env.Node().Logger()
	}
	cfg.Env.SetModuleMakers(s) // the closures of modules other nodes send (closures.go)
	if s.debounce <= 0 {
		s.debounce = 100 * time.Millisecond
	}
	if s.netTimeout <= 0 {
		s.netTimeout = 30 * time.Second
	}
	if s.stdout == nil {
		s.stdout = cfg.Env.Output()
	}
	if s.stderr == nil {
		s.stderr = io.Discard
	}
	for _, d := range append(slices.Clone(cfg.CodePath), dir) {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if d = filepath.Clean(d); !slices.Contains(s.path, d) { // -pa . names the directory once
			s.path = append(s.path, d)
		}
	}
	gerl := cfg.Env.Exports()
	s.tables = symbolTables{}
	for _, t := range []symbolTables{stdlib.Symbols, unrestricted.Symbols, gerl} {
		for k, syms := range t {
			// Merged symbol by symbol, as yaegi's Use does (unrestricted
			// adds to os, among others).
			if s.tables[k] == nil {
				s.tables[k] = map[string]reflect.Value{}
			}
			for name, v := range syms {
				s.tables[k][name] = v
			}
		}
	}
	s.types = newTypeCache(s.tables)
	s.reserved = reservedNames(gerl)
	for name := range s.builtins() {
		s.reserved[name] = true // a package c would hide the built-in c at the prompt
	}
	if err := cfg.Env.RegisterFunc(LoadFunc, s.remoteLoad); err != nil {
		return nil, fmt.Errorf("hotload: %w", err)
	}
	cfg.Env.SetResolver(s)
	for name, b := range s.builtins() {
		cfg.Env.AddBuiltin(name, b)
	}
	if cfg.Watch {
		if err := s.Watch(true); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close stops watching. Loaded code keeps running;
// further loads fail with ErrClosed. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	w := s.watching
	s.watching = nil
	s.mu.Unlock()
	if w != nil {
		w.stop()
	}
}

// Lookup resolves "module.Func" to the function's trampoline (see
// eval.FuncResolver): spawn, rpc and remote spawn by name enter the
// module's current version.
func (s *Server) Lookup(name string) (any, bool) { return s.lookup(name) }

// CodePath returns the directories searched for modules, in order.
func (s *Server) CodePath() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.path...)
}

// AddPath adds dir to the front of the code path (erl's code:add_patha).
func (s *Server) AddPath(dir string) error {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(s.dir, dir)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("add %s to the code path: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("add %s to the code path: not a directory", dir)
	}
	dir = filepath.Clean(dir)
	s.mu.Lock()
	// At the front, once: a directory added again moves there, as in erl.
	s.path = append([]string{dir}, slices.DeleteFunc(s.path, func(d string) bool { return d == dir })...)
	s.mu.Unlock()
	return nil
}

// ModuleInfo describes a loaded module.
type ModuleInfo struct {
	Name       string
	Version    int       // the current version
	OldVersion int       // the old version, 0 when there is none
	Source     string    // the file or directory, or "nl from NODE"
	From       string    // the node it came from by nl; "" when from disk
	Files      []string  // the module's files
	Hash       string    // of the current version's source, 12 hex digits
	Loaded     time.Time // when the current version was loaded
	Funcs      []string  // the current version's exported functions
	// Running maps a version to the processes running it (see
	// version.go).
	Running map[int][]term.Pid
}

// Modules describes the loaded modules, sorted by name.
func (s *Server) Modules() []ModuleInfo {
	s.mu.RLock()
	names := make([]string, 0, len(s.mods))
	for n := range s.mods {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	out := make([]ModuleInfo, 0, len(names))
	for _, n := range names {
		if info, ok := s.Module(n); ok {
			out = append(out, info)
		}
	}
	return out
}

// Module describes one loaded module.
func (s *Server) Module(name string) (ModuleInfo, bool) {
	s.mu.RLock()
	m := s.mods[name]
	var old *version
	if m != nil {
		old = m.old
	}
	s.mu.RUnlock()
	if m == nil {
		return ModuleInfo{}, false
	}
	v := m.current.Load()
	if v == nil {
		return ModuleInfo{}, false
	}
	info := ModuleInfo{Name: name, Version: v.n, Source: v.src.describe(), From: v.src.origin, Files: v.src.fileList(),
		Hash: v.src.hash[:12], Loaded: v.loaded, Funcs: v.funcNames(), Running: map[int][]term.Pid{}}
	for _, ver := range []*version{v, old} {
		if ver == nil {
			continue
		}
		if ver != v {
			info.OldVersion = ver.n
		}
		if ps := s.procs.running(ver); len(ps) > 0 {
			info.Running[ver.n] = pids(ps)
		}
	}
	return info, true
}

// RunningVersion returns the version of module name that the process pid
// runs (see version.go), if it runs one.
func (s *Server) RunningVersion(pid term.Pid, name string) (int, bool) {
	s.mu.RLock()
	m := s.mods[name]
	s.mu.RUnlock()
	if m == nil {
		return 0, false
	}
	n, found := 0, false
	s.procs.m.Range(func(k, _ any) bool {
		p := k.(*node.Proc)
		if p.Self() != pid {
			return true
		}
		if v, ok := s.procs.versionOf(p, m); ok {
			n, found = v.n, true
		}
		return false
	})
	return n, found
}

// describe says where a version's source came from.
func (src *source) describe() string {
	if src.origin != "" {
		return "nl from " + src.origin
	}
	return src.path
}
