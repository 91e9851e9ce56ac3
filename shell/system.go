package shell

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/hotload"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/observer"
	"github.com/gerl-dev/gerl/portmapper"
)

// system is a running node with everything the shell needs: the node, its
// distribution (if any), and the Env interpreted code reaches.
type system struct {
	env  *eval.Env
	node *node.Node
	dist *cluster.Dist   // nil without distribution
	code *hotload.Server // modules: c, l, nl...
	obs  *observer.Agent // observer(), trace(): the node's observer
	// out and errOut are where module code prints; they follow the
	// terminal once it exists.
	out, errOut *swapWriter

	stopOnce sync.Once
	stopped  chan struct{} // closed when the node has been stopped
	halt     chan struct{} // closed by halt() from anywhere (gerl.halt)
	haltOnce sync.Once
}

// startSystem starts the node the options describe, logging through log.
// exe is the gerl executable, used to start the port mapper daemon.
func startSystem(opts Options, log *slog.Logger, exe string, stdout, stderr io.Writer) (*system, error) {
	env := eval.NewEnv()
	if opts.MaxStack != 0 {
		if err := env.SetMaxStack(opts.MaxStack); err != nil {
			return nil, err
		}
	}
	sys := &system{env: env, stopped: make(chan struct{}), halt: make(chan struct{}),
		out: newSwapWriter(stdout), errOut: newSwapWriter(stderr)}
	nc := node.Config{Logger: log, OnGoroutine: env.OnGoroutine}
	if !opts.Distributed() {
		sys.node = node.New(nc)
	} else {
		d, err := startDist(opts, nc, env, log, exe, sys.out)
		if err != nil {
			return nil, err
		}
		sys.dist = d
		sys.node = d.Node()
		env.SetCluster(eval.DistCluster(d))
	}
	env.Attach(sys.node)
	env.SetStdout(sys.out)
	limit := memoryLimit(opts.MaxMemoryMB)
	if limit > 0 {
		sys.node.WatchMemory(limit, time.Second)
	} else {
		limit = machineMemory()
	}
	env.SetMaxAlloc(limit) // no one make past it: Go's runtime would end the node
	if err := startServices(sys); err != nil {
		sys.Stop()
		return nil, err
	}
	if err := env.RegisterFunc("gerl.halt", sys.Halt); err != nil {
		return nil, err
	}
	if err := registerShellService(sys); err != nil {
		return nil, err
	}
	code, err := hotload.New(hotload.Config{
		Env: env, CodePath: opts.CodePath, Watch: opts.Watch, Logger: log,
		Stderr: env.PanicTraceFilter(sys.errOut),
	})
	if err != nil {
		sys.Stop()
		return nil, err
	}
	sys.code = code
	obs, err := observer.Start(observer.Config{
		Env: env, Dist: sys.dist, AllowKill: opts.ObserverAllowKill, Logger: log,
		Cookie: func() (string, error) {
			home, _ := os.UserHomeDir()
			return cluster.LoadCookie(opts.Cookie, home)
		},
	})
	if err != nil {
		sys.Stop()
		return nil, err
	}
	sys.obs = obs
	if opts.Observer != "" {
		url, err := obs.Serve(opts.Observer)
		if err != nil {
			sys.Stop()
			return nil, err
		}
		fmt.Fprintf(stderr, "observer at %s\n", url)
	}
	return sys, nil
}

func startDist(opts Options, nc node.Config, env *eval.Env, log *slog.Logger, exe string, stdout io.Writer) (*cluster.Dist, error) {
	sname, lname := opts.SName, opts.Name
	hidden := opts.Hidden
	if opts.Remsh != "" && sname == "" && lname == "" {
		// A remote shell's own node: hidden, with a generated name on the
		// same kind of host name as the node it talks to.
		_, host, err := cluster.SplitNodeName(opts.Remsh)
		if err != nil {
			return nil, fmt.Errorf("-remsh: %w", err)
		}
		base := fmt.Sprintf("remsh%d", os.Getpid())
		switch {
		case isShortHost(host):
			sname = base
		default:
			lname = base
			if _, err := cluster.NodeName("", base); err != nil {
				// No fully qualified name here: borrow the remote's host,
				// right when it is this host (127.0.0.1); the connection
				// is ours either way, the remote never dials back.
				lname = base + "@" + host
			}
		}
		hidden = true
	}
	name, err := cluster.NodeName(sname, lname)
	if err != nil {
		return nil, err
	}
	home, _ := os.UserHomeDir()
	cookie, cookieFrom, err := cluster.LoadCookieFrom(opts.Cookie, home)
	if err != nil {
		return nil, err
	}
	pmPort, err := portmapper.PortFromEnv()
	if err != nil {
		return nil, err
	}
	cfg := cluster.Config{
		Name: name, Cookie: cookie, Hidden: hidden, Node: nc, Logger: log,
		ListenIP: opts.DistAddress, PortMin: opts.DistPortMin, PortMax: opts.DistPortMax,
		PortMapperPort: pmPort, StartPortMapper: portmapper.ExecStarter(exe, pmPort),
		TickTime: opts.TickTime, Functions: env,
		CookieFrom: cookieFrom, ErlangMaxFrame: opts.ErlangMaxFrame, Stdout: stdout,
	}
	if opts.TLSCert != "" {
		cfg.TLS = &cluster.TLSConfig{CertFile: opts.TLSCert, KeyFile: opts.TLSKey, CAFile: opts.TLSCA}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cluster.Start(ctx, cfg)
}

func isShortHost(host string) bool {
	for _, c := range host {
		if c == '.' {
			return false
		}
	}
	return true
}

// Halt asks the node to stop, from anywhere: halt(), q() at a local prompt,
// a remote shell's confirmed halt(), or an rpc of gerl.halt.
func (s *system) Halt() {
	s.haltOnce.Do(func() { close(s.halt) })
}

// Stop stops every process and the distribution layer: peers see the
// connection close (nodedown at once) and the port mapper forgets the
// node. It is idempotent.
func (s *system) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		if s.obs != nil {
			s.obs.Close()
		}
		if s.code != nil {
			s.code.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.node.Stop(ctx)
		close(s.stopped)
	})
	return err
}

// swapWriter is a writer whose destination can change while others write
// to it: module code prints to the terminal once it exists.
type swapWriter struct{ w atomic.Pointer[writerBox] }

type writerBox struct{ w io.Writer }

func newSwapWriter(w io.Writer) *swapWriter {
	s := &swapWriter{}
	s.set(w)
	return s
}

func (s *swapWriter) set(w io.Writer) { s.w.Store(&writerBox{w}) }

func (s *swapWriter) Write(b []byte) (int, error) { return s.w.Load().w.Write(b) }

// memoryLimit is the node's memory limit in bytes for -max_memory mb: -1
// is three quarters of the machine's memory (none if it cannot be read).
func memoryLimit(mb int64) uint64 {
	if mb >= 0 {
		return uint64(mb) << 20
	}
	return machineMemory() / 4 * 3
}

// machineMemory is the machine's memory in bytes, 0 if it cannot be read.
func machineMemory() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
