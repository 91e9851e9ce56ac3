package portmapper_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// daemonPool starts in-process daemons on one port on demand, as
// "gerl portmapper -daemon" would start processes: its start method is a
// real starter for EnsureDaemon and KeeperConfig.StartDaemon.
type daemonPool struct {
	t      *testing.T
	port   int
	starts atomic.Int32
	mu     sync.Mutex
	live   []*daemon.Server
}

func newDaemonPool(t *testing.T, port int) *daemonPool {
	p := &daemonPool{t: t, port: port}
	t.Cleanup(p.closeAll)
	return p
}

// start starts a daemon on the pool's port; losing the race to another
// daemon returns the ErrAddrInUse error, as a real second daemon would.
func (p *daemonPool) start() error {
	p.starts.Add(1)
	s, err := daemon.Start(daemon.Config{Port: p.port})
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.live = append(p.live, s)
	p.mu.Unlock()
	return nil
}

// closeAll closes every daemon, as if the process died.
func (p *daemonPool) closeAll() {
	p.mu.Lock()
	live := p.live
	p.live = nil
	p.mu.Unlock()
	for _, s := range live {
		s.Close()
	}
}

func TestEnsureDaemon(t *testing.T) {
	t.Run("one answers: start is not called", func(t *testing.T) {
		s := startServer(t, daemon.Config{})
		called := false
		err := portmapper.EnsureDaemon(ctxT(t), s.Port(), func() error { called = true; return nil })
		if err != nil || called {
			t.Fatalf("err %v, start called %v", err, called)
		}
	})
	t.Run("none answers: started", func(t *testing.T) {
		p := newDaemonPool(t, testkit.FreePort(t))
		if err := portmapper.EnsureDaemon(ctxT(t), p.port, p.start); err != nil {
			t.Fatal(err)
		}
		if _, _, err := portmapper.Names(ctxT(t), portmapper.LoopbackAddr(p.port)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("none answers and none may start", func(t *testing.T) {
		if err := portmapper.EnsureDaemon(ctxT(t), testkit.FreePort(t), nil); !errors.Is(err, portmapper.ErrNoDaemon) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("start fails and nobody else starts one", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		boom := errors.New("boom")
		if err := portmapper.EnsureDaemon(ctx, testkit.FreePort(t), func() error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("start fails: its error comes soon, not at the deadline", func(t *testing.T) {
		// A port held by something that is not a port mapper: "gerl
		// portmapper -daemon" says so and fails. Waiting out the caller's
		// deadline (a node's 30 s) would only delay that message.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		taken := errors.New("port taken by something that is not a port mapper")
		err := portmapper.EnsureDaemon(ctx, testkit.FreePort(t), func() error { return taken })
		if !errors.Is(err, taken) || ctx.Err() != nil {
			t.Fatalf("err %v, context %v: want start's error before the deadline", err, ctx.Err())
		}
	})
	t.Run("start fails while another starter's daemon comes up", func(t *testing.T) {
		// Two nodes start at once: this one's daemon lost the port to the
		// other's, which answers a moment later.
		p := newDaemonPool(t, testkit.FreePort(t))
		started := make(chan error, 1)
		err := portmapper.EnsureDaemon(ctxT(t), p.port, func() error {
			go func() { started <- p.start() }()
			return errors.New("another daemon holds the port")
		})
		if err := <-started; err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("the other starter's daemon answered, yet: %v", err)
		}
	})
	t.Run("many starters at once: one daemon wins, every caller succeeds", func(t *testing.T) {
		p := newDaemonPool(t, testkit.FreePort(t))
		const n = 8
		errs := make(chan error, n)
		var ready sync.WaitGroup
		ready.Add(n)
		for range n {
			go func() {
				ready.Done()
				ready.Wait()
				errs <- portmapper.EnsureDaemon(ctxT(t), p.port, p.start)
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.live) != 1 {
			t.Fatalf("%d daemons listening, want 1 (%d starts)", len(p.live), p.starts.Load())
		}
	})
}

func TestKeepNameTaken(t *testing.T) {
	s := startServer(t, daemon.Config{})
	node := portmapper.NodeInfo{Name: "foo", Port: 1234, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5}
	k, err := portmapper.Keep(ctxT(t), portmapper.KeeperConfig{Port: s.Port(), Node: node})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	_, err = portmapper.Keep(ctxT(t), portmapper.KeeperConfig{Port: s.Port(), Node: node})
	if !errors.Is(err, portmapper.ErrNameTaken) || err.Error() != "a node named foo is already running on this host" {
		t.Fatalf("second Keep: %v", err)
	}
	info, err := portmapper.Lookup(ctxT(t), addrOf(s), "foo")
	if err != nil || !info.IsGerl() {
		t.Fatalf("a kept node registers as a gerl node: %+v %v", info, err)
	}
	k.Close()
	k.Close()
	if !errors.Is(k.Err(), portmapper.ErrRegistrationClosed) || k.Registered() {
		t.Fatalf("after Close: Err %v, Registered %v", k.Err(), k.Registered())
	}
	testkit.Eventually(t, 5*time.Second, "foo to be unregistered", func() bool { return !isRegistered(t, addrOf(s), "foo") })
}

func TestKeepWithoutDaemon(t *testing.T) {
	_, err := portmapper.Keep(ctxT(t), portmapper.KeeperConfig{Port: testkit.FreePort(t), Node: portmapper.NodeInfo{Name: "x", Highest: 6, Lowest: 5}})
	if !errors.Is(err, portmapper.ErrNoDaemon) {
		t.Fatalf("Keep with no daemon and no starter: %v", err)
	}
}

// TestKeeperReregisters kills the daemon under two kept nodes: the
// Keepers start a new one (only one wins) and register again, each with a
// new creation, reported through OnReregister and the log.
func TestKeeperReregisters(t *testing.T) {
	p := newDaemonPool(t, testkit.FreePort(t))
	var logs testkit.Buffer
	type event struct {
		node     string
		creation uint32
	}
	events := make(chan event, 16)
	var keepers []*portmapper.Keeper
	for _, name := range []string{"one", "two"} {
		k, err := portmapper.Keep(ctxT(t), portmapper.KeeperConfig{
			Port:         p.port,
			Node:         portmapper.NodeInfo{Name: name, Port: 4000, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5},
			StartDaemon:  p.start,
			OnReregister: func(c uint32) { events <- event{name, c} },
			MinBackoff:   10 * time.Millisecond,
			MaxBackoff:   50 * time.Millisecond,
			Logger:       debugLogger(&logs),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		keepers = append(keepers, k)
	}
	if got := p.starts.Load(); got != 1 {
		t.Fatalf("%d daemon starts for two nodes, want 1", got)
	}
	for round := 1; round <= 2; round++ {
		before := []uint32{keepers[0].Creation(), keepers[1].Creation()}
		p.closeAll() // the daemon dies
		got := map[string]uint32{}
		for len(got) < 2 {
			select {
			case e := <-events:
				got[e.node] = e.creation
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: re-registrations seen: %v\nlog:\n%s", round, got, logs.String())
			}
		}
		for i, k := range keepers {
			name := []string{"one", "two"}[i]
			if k.Creation() != got[name] || got[name] == before[i] {
				t.Fatalf("round %d: %s creation %d (event %d, before %d)", round, name, k.Creation(), got[name], before[i])
			}
			if !k.Registered() || !isRegistered(t, portmapper.LoopbackAddr(p.port), name) {
				t.Fatalf("round %d: %s not registered", round, name)
			}
		}
		p.mu.Lock()
		n := len(p.live)
		p.mu.Unlock()
		if n != 1 {
			t.Fatalf("round %d: %d daemons", round, n)
		}
	}
	if !strings.Contains(logs.String(), "registered with the port mapper again") {
		t.Fatalf("no re-registration in the log:\n%s", logs.String())
	}
}

// TestKeeperRetriesUntilTheNameIsFree: another node takes the name while
// the daemon restarts; the Keeper keeps trying (logging why) and registers
// once the name is free.
func TestKeeperRetriesUntilTheNameIsFree(t *testing.T) {
	p := newDaemonPool(t, testkit.FreePort(t))
	var (
		mu       sync.Mutex
		squatter *portmapper.Registration
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if squatter != nil {
			squatter.Close()
		}
	}()
	// The restart hands the name to another node before the Keeper asks.
	restart := func() error {
		if err := p.start(); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if squatter == nil {
			r, err := portmapper.Register(context.Background(), portmapper.LoopbackAddr(p.port), portmapper.NodeInfo{Name: "contested", Highest: 6, Lowest: 5})
			if err != nil {
				return err
			}
			squatter = r
		}
		return nil
	}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	var logs testkit.Buffer
	reregistered := make(chan uint32, 1)
	k, err := portmapper.Keep(ctxT(t), portmapper.KeeperConfig{
		Port: p.port, Node: portmapper.NodeInfo{Name: "contested", Highest: 6, Lowest: 5},
		StartDaemon: restart, MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		OnReregister: func(c uint32) { reregistered <- c },
		Logger:       debugLogger(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	p.closeAll()
	testkit.Eventually(t, 5*time.Second, "the keeper to report the taken name", func() bool {
		return strings.Contains(logs.String(), "a node named contested is already running on this host")
	})
	select {
	case c := <-reregistered:
		t.Fatalf("re-registered (creation %d) while the name was taken", c)
	default:
	}
	mu.Lock()
	squatter.Close()
	mu.Unlock()
	select {
	case <-reregistered:
	case <-time.After(10 * time.Second):
		t.Fatalf("no re-registration after the name was freed; log:\n%s", logs.String())
	}
}

// TestKeeperHonoursStop: a node removed by -stop is not registered again.
func TestKeeperHonoursStop(t *testing.T) {
	s := startServer(t, daemon.Config{Relaxed: true})
	k, err := portmapper.Keep(ctxT(t), portmapper.KeeperConfig{Port: s.Port(), Node: portmapper.NodeInfo{Name: "stopme", Highest: 6, Lowest: 5}})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if ok, err := portmapper.Stop(ctxT(t), addrOf(s), "stopme"); !ok || err != nil {
		t.Fatalf("Stop: %v %v", ok, err)
	}
	select {
	case <-k.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("keeper still running after -stop")
	}
	if !errors.Is(k.Err(), portmapper.ErrStopped) || k.Registered() || isRegistered(t, addrOf(s), "stopme") {
		t.Fatalf("after -stop: Err %v, registered %v", k.Err(), k.Registered())
	}
}

func TestKeepValidates(t *testing.T) {
	for _, n := range []portmapper.NodeInfo{{Name: ""}, {Name: "a\x00"}, {Name: "x", Port: 70000}, {Name: "x", Extra: make([]byte, portmapper.MaxExtraLen+1)}} {
		if _, err := portmapper.Keep(ctxT(t), portmapper.KeeperConfig{Port: 1, Node: n}); err == nil {
			t.Errorf("Keep(%+v) accepted", n)
		}
	}
}
