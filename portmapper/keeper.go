package portmapper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of KeeperConfig.
const (
	DefaultMinBackoff = 50 * time.Millisecond
	DefaultMaxBackoff = 2 * time.Second
	// daemonStartWait bounds EnsureDaemon when its context has no deadline.
	daemonStartWait = 10 * time.Second
	probeTimeout    = time.Second
	// startGrace is how long EnsureDaemon keeps probing after start failed:
	// a daemon started by another node at the same moment may hold the port
	// and be about to answer. Past it, start's error stands.
	startGrace = 2 * time.Second
)

// NameTakenError is returned by Keep when another live node holds the name.
// It wraps ErrNameTaken.
type NameTakenError struct{ Name string }

func (e *NameTakenError) Error() string {
	return fmt.Sprintf("a node named %s is already running on this host", e.Name)
}

func (e *NameTakenError) Unwrap() error { return ErrNameTaken }

// TableFullError is returned by Keep when the daemon refuses the node
// because it holds as many registrations as it allows, which says nothing
// about the name. It wraps ErrTableFull.
type TableFullError struct{ Name string }

func (e *TableFullError) Error() string {
	return fmt.Sprintf("the port mapper is full: it holds as many nodes as it allows, so it cannot register %s "+
		"(no node holds that name; gerl portmapper -names lists the registered nodes)", e.Name)
}

func (e *TableFullError) Unwrap() error { return ErrTableFull }

// EnsureDaemon makes sure a port mapper answers on the loopback at port. If
// one answers, it does nothing. Otherwise it calls start (which should start
// a daemon, e.g. ExecStarter) and waits until a daemon answers or ctx ends
// (DefaultTimeout without a deadline). Losing the race to another starter is
// not an error: whichever daemon answers will do. When start fails,
// EnsureDaemon waits a little longer only (startGrace), for a daemon another
// starter is bringing up, and then returns start's error: a port held by
// something that is not a port mapper says so at once instead of at the
// deadline.
func EnsureDaemon(ctx context.Context, port int, start func() error) error {
	addr := LoopbackAddr(port)
	if probe(ctx, addr) == nil {
		return nil
	}
	if start == nil {
		return fmt.Errorf("%w on port %d and none may be started", ErrNoDaemon, port)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, daemonStartWait)
		defer cancel()
	}
	startErr := start()
	var grace <-chan time.Time
	if startErr != nil {
		t := time.NewTimer(startGrace)
		defer t.Stop()
		grace = t.C
	}
	var lastErr error
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if lastErr = probe(ctx, addr); lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if startErr != nil {
				return fmt.Errorf("start the port mapper: %w", startErr)
			}
			return fmt.Errorf("the port mapper started on port %d does not answer: %w", port, lastErr)
		case <-grace:
			return fmt.Errorf("start the port mapper: %w", startErr)
		case <-tick.C:
		}
	}
}

// probe checks that a port mapper answers at addr (a NAMES request).
func probe(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, _, err := Names(ctx, addr)
	return err
}

// KeeperConfig configures Keep.
type KeeperConfig struct {
	// Port is the port mapper's port on this host; 0 means DefaultPort.
	Port int
	// Node is what to register. A nil Extra means GerlExtra().
	Node NodeInfo
	// StartDaemon starts a port mapper when none answers (usually
	// ExecStarter(exe, port)); nil means never start one.
	StartDaemon func() error
	// OnReregister, if set, is called from the Keeper's goroutine each time
	// the node registered again after losing its registration, with the new
	// creation. It must not call Close.
	OnReregister func(creation uint32)
	// Backoff between attempts to register again; 0 means the defaults.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives the Keeper's log; nil discards it.
	Logger *slog.Logger
}

// Keeper keeps a node registered for its whole life. Keep registers it
// (starting the daemon if needed); when the registration drops because the
// daemon died or restarted, the Keeper registers again on its own, with
// backoff and jitter, starting the daemon again if nobody else did, until
// Close. A registration ended by the daemon's STOP (gerl's daemon tells gerl
// nodes, see ErrStopped) is not renewed: the operator asked for it.
//
// One goroutine per Keeper watches the registration; Close waits for it.
// Methods are safe for concurrent use.
type Keeper struct {
	cfg  KeeperConfig
	addr string
	log  *slog.Logger

	stop   chan struct{}
	done   chan struct{}
	closer sync.Once

	mu       sync.Mutex // protects following
	reg      *Registration
	creation uint32
	err      error // why the Keeper stopped keeping, nil while it keeps
}

// Keep registers cfg.Node with the port mapper on the loopback at cfg.Port
// and keeps it registered until Close. When another live node has the name
// it returns a *NameTakenError ("a node named foo is already running on this
// host"), which wraps ErrNameTaken; when the daemon's table is full, a
// *TableFullError, which wraps ErrTableFull. ctx bounds the first
// registration only.
func Keep(ctx context.Context, cfg KeeperConfig) (*Keeper, error) {
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.Node.Extra == nil {
		cfg.Node.Extra = GerlExtra()
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Node.Validate(); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	k := &Keeper{
		cfg:  cfg,
		addr: LoopbackAddr(cfg.Port),
		log:  log.With("node", cfg.Node.Name, "portmapper_port", cfg.Port),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	reg, err := k.registerOnce(ctx)
	if err != nil {
		return nil, err
	}
	k.reg, k.creation = reg, reg.Creation()
	k.log.Info("registered with the port mapper", "creation", reg.Creation())
	go k.run(reg)
	return k, nil
}

// registerOnce makes sure a daemon runs (if allowed to start one) and
// registers.
func (k *Keeper) registerOnce(ctx context.Context) (*Registration, error) {
	if k.cfg.StartDaemon != nil {
		if err := EnsureDaemon(ctx, k.cfg.Port, k.cfg.StartDaemon); err != nil {
			return nil, err
		}
	}
	reg, err := Register(ctx, k.addr, k.cfg.Node)
	switch {
	case errors.Is(err, ErrNameTaken):
		return nil, &NameTakenError{Name: k.cfg.Node.Name}
	case errors.Is(err, ErrTableFull):
		return nil, &TableFullError{Name: k.cfg.Node.Name}
	}
	return reg, err
}

// run watches the current registration and renews it when it drops.
func (k *Keeper) run(reg *Registration) {
	defer close(k.done)
	for {
		select {
		case <-k.stop:
			reg.Close()
			k.finish(ErrRegistrationClosed)
			return
		case <-reg.Done():
		}
		cause := reg.Err()
		if errors.Is(cause, ErrStopped) {
			k.log.Error("unregistered by the port mapper's -stop; not registering again", "err", cause)
			k.finish(cause)
			return
		}
		k.log.Warn("lost the port mapper registration; registering again", "err", cause)
		if reg = k.renew(); reg == nil {
			k.finish(ErrRegistrationClosed)
			return
		}
	}
}

// renew registers again with backoff until it succeeds (returning the new
// registration) or Close is called (returning nil).
func (k *Keeper) renew() *Registration {
	backoff := k.cfg.MinBackoff
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-k.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithTimeout(ctx, daemonStartWait)
		reg, err := k.registerOnce(actx)
		acancel()
		if err == nil {
			k.mu.Lock()
			k.reg, k.creation = reg, reg.Creation()
			k.mu.Unlock()
			k.log.Info("registered with the port mapper again", "creation", reg.Creation(), "attempts", attempt)
			if k.cfg.OnReregister != nil {
				k.cfg.OnReregister(reg.Creation())
			}
			return reg
		}
		level := slog.LevelWarn
		if errors.Is(err, ErrNameTaken) || errors.Is(err, ErrTableFull) {
			level = slog.LevelError // another node took the name, or the table, meanwhile
		}
		k.log.Log(ctx, level, "registering again failed; retrying", "err", err, "attempt", attempt, "backoff", backoff)
		// Jitter spreads the nodes of a host that all lost the daemon at once.
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-k.stop:
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, k.cfg.MaxBackoff)
	}
}

func (k *Keeper) finish(err error) {
	k.mu.Lock()
	k.err, k.reg = err, nil
	k.mu.Unlock()
}

// Creation returns the creation of the current (or last) registration.
func (k *Keeper) Creation() uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.creation
}

// Registered reports whether the node holds a live registration now.
func (k *Keeper) Registered() bool {
	k.mu.Lock()
	reg := k.reg
	k.mu.Unlock()
	return reg != nil && reg.Err() == nil
}

// Done returns a channel closed when the Keeper stops keeping the node
// registered: after Close, or after the daemon's -stop (see Err).
func (k *Keeper) Done() <-chan struct{} { return k.done }

// Err returns nil while the Keeper keeps the node registered, then
// ErrRegistrationClosed after Close, or an error wrapping ErrStopped.
func (k *Keeper) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.err
}

// Close unregisters the node and stops the Keeper's goroutine, waiting for
// it (and so for a daemon start in progress, which ExecStarter bounds). It
// is idempotent. It must not be called from OnReregister.
func (k *Keeper) Close() error {
	k.closer.Do(func() { close(k.stop) })
	<-k.done
	return nil
}
