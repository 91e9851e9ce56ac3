package supervisor

import (
	"errors"
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Strategy says which children a supervisor restarts when one of them has
// to be restarted.
type Strategy uint8

const (
	// OneForOne restarts only the child that exited.
	OneForOne Strategy = iota
	// OneForAll terminates every other child, in reverse start order, then
	// starts them all again in start order.
	OneForAll
	// RestForOne terminates the children started after the one that exited,
	// in reverse start order, then starts it and them again in start order.
	RestForOne
)

// String returns OTP's name for the strategy: one_for_one, one_for_all,
// rest_for_one.
func (s Strategy) String() string {
	switch s {
	case OneForOne:
		return "one_for_one"
	case OneForAll:
		return "one_for_all"
	case RestForOne:
		return "rest_for_one"
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// Restart says when a child that exited is started again.
type Restart uint8

const (
	// Permanent children are always restarted, whatever their exit reason.
	// It is the zero value, as it is OTP's default.
	Permanent Restart = iota
	// Transient children are restarted only after an abnormal exit: any
	// reason other than normal, shutdown or {shutdown, Term}.
	Transient
	// Temporary children are never restarted; the supervisor forgets them
	// when they exit or are terminated.
	Temporary
)

// String returns OTP's name for the restart type: permanent, transient,
// temporary.
func (r Restart) String() string {
	switch r {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Temporary:
		return "temporary"
	}
	return fmt.Sprintf("Restart(%d)", uint8(r))
}

func parseRestart(a term.Atom) (Restart, bool) {
	for r := Permanent; r <= Temporary; r++ {
		if term.Atom(r.String()) == a {
			return r, true
		}
	}
	return 0, false
}

// Defaults, as in OTP. A zero Spec.Intensity, Spec.Period or
// Child.Shutdown means the default.
const (
	DefaultIntensity = 1
	DefaultPeriod    = 5 * time.Second
	DefaultShutdown  = 5 * time.Second
)

// NoRestarts is the Spec.Intensity of a supervisor that allows no restart
// at all: the first child that must be restarted stops it. (Zero means
// DefaultIntensity.)
const NoRestarts = -1

// Shutdown values with a special meaning. Any other Child.Shutdown is how
// long the child has to exit after the exit signal shutdown before it is
// killed.
const (
	// BrutalKill kills the child at once with the untrappable kill.
	BrutalKill time.Duration = -2
	// Infinity waits as long as the child takes to exit after shutdown. It is
	// node.Forever.
	Infinity time.Duration = node.Forever
)

// Spec describes a supervisor: how it restarts its children, how many
// restarts it tolerates, and the children it starts, in order.
type Spec struct {
	// Name, if set, registers the supervisor under that name, so it can be
	// addressed with At(n, name).
	Name term.Atom
	// Strategy decides which children are restarted along with the one that
	// exited. The zero value is OneForOne.
	Strategy Strategy
	// Intensity is the number of restarts allowed within Period: one more,
	// and the supervisor terminates its children and exits with reason
	// shutdown. Zero means DefaultIntensity (1), NoRestarts means none.
	Intensity int
	// Period is the window Intensity is counted in. Zero means
	// DefaultPeriod (5 s).
	Period time.Duration
	// Children are started in this order when the supervisor starts, and
	// terminated in the reverse order.
	Children []Child

	// now replaces the clock restarts are timed with; nil is time.Now. It
	// is the tests' way to step through a period without waiting.
	now func() time.Time
}

// Child describes one child process. Give it either Start, or Fn and Args.
type Child struct {
	// ID names the child within its supervisor; ids are unique.
	ID term.Atom
	// Start is the child's process function. Each (re)start spawns a new
	// process running it.
	Start func(*node.Proc)
	// Fn and Args start the child as node.Entry(Fn, Args...) does: Fn is
	// any function, Args fill its parameters (after a leading *node.Proc,
	// if it has one). The arguments are copied when the spec is checked
	// and again for each start, so every incarnation gets the original
	// values.
	Fn   any
	Args []any
	// Restart says when the child is restarted; the zero value is
	// Permanent.
	Restart Restart
	// Shutdown is how long the child has to exit after the supervisor sends
	// it the exit signal shutdown, before it is killed. Zero means
	// DefaultShutdown (5 s); BrutalKill kills at once; Infinity waits.
	Shutdown time.Duration
	// Name, if set, is registered for each incarnation of the child before
	// the next child starts, so clients reach the current one by name.
	Name term.Atom
	// Supervisor, instead of Start or Fn, makes the child a supervisor
	// running this spec: supervisors nest into a supervision tree. Each
	// incarnation starts the spec's children afresh (children added with
	// StartChild are not kept across its restarts, as in OTP); its start
	// counts as done once they have all started, and fails if one fails.
	// Name the nested supervisor with the spec's Name, not the child's.
	// Shutdown defaults to Infinity: a supervisor takes its own children
	// down before it exits.
	Supervisor *Spec
}

// maxTreeDepth bounds how deep supervisors nest: a spec that contains
// itself is a mistake, not an infinite tree.
const maxTreeDepth = 64

// ErrInvalidSpec is wrapped by the errors Start, StartLink and StartChild
// return for a Spec or Child that cannot work.
var ErrInvalidSpec = errors.New("invalid supervisor spec")

// config is a checked Spec with defaults filled in.
type config struct {
	name      term.Atom
	strategy  Strategy
	intensity int
	period    time.Duration
	now       func() time.Time
	children  []childSpec
}

// childSpec is a checked Child.
type childSpec struct {
	id       term.Atom
	start    func(*node.Proc) // Start, or node.Entry(Fn, Args...); nil for a nested supervisor
	funcName string
	restart  Restart
	shutdown time.Duration // > 0, BrutalKill or Infinity
	name     term.Atom
	sup      *config // a nested supervisor's checked spec, or nil
}

// childType is the child's type as OTP names it: worker or supervisor.
func (cs *childSpec) childType() term.Atom {
	if cs.sup != nil {
		return atomSupervisor
	}
	return atomWorker
}

// regName is the name the child registers: its own, or its nested
// supervisor's.
func (cs *childSpec) regName() term.Atom {
	if cs.sup != nil {
		return cs.sup.name
	}
	return cs.name
}

// check validates spec and fills in the defaults.
func (spec Spec) check() (config, error) {
	return spec.checkAt(0)
}

func (spec Spec) checkAt(depth int) (config, error) {
	cfg := config{
		name:      spec.Name,
		strategy:  spec.Strategy,
		intensity: spec.Intensity,
		period:    spec.Period,
		now:       spec.now,
	}
	if spec.Name != "" && !term.Registrable(spec.Name) {
		return config{}, fmt.Errorf("%w: supervisor name %q: names are 1-255 bytes, no NUL, not undefined", ErrInvalidSpec, spec.Name)
	}
	if spec.Strategy > RestForOne {
		return config{}, fmt.Errorf("%w: unknown strategy %d (use OneForOne, OneForAll or RestForOne)", ErrInvalidSpec, spec.Strategy)
	}
	switch {
	case spec.Intensity == 0:
		cfg.intensity = DefaultIntensity
	case spec.Intensity == NoRestarts:
		cfg.intensity = 0
	case spec.Intensity < 0:
		return config{}, fmt.Errorf("%w: intensity %d is negative (use NoRestarts to allow none)", ErrInvalidSpec, spec.Intensity)
	}
	switch {
	case spec.Period == 0:
		cfg.period = DefaultPeriod
	case spec.Period < 0:
		return config{}, fmt.Errorf("%w: period %v is negative", ErrInvalidSpec, spec.Period)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	ids := make(map[term.Atom]bool, len(spec.Children))
	names := map[term.Atom]bool{}
	if spec.Name != "" {
		names[spec.Name] = true
	}
	for i, c := range spec.Children {
		cs, err := c.checkAt(depth)
		if err != nil {
			return config{}, fmt.Errorf("child %d: %w", i+1, err)
		}
		if ids[cs.id] {
			return config{}, fmt.Errorf("%w: child %d: duplicate id %s", ErrInvalidSpec, i+1, term.FormatAtom(cs.id))
		}
		ids[cs.id] = true
		if name := cs.regName(); name != "" {
			if names[name] {
				return config{}, fmt.Errorf("%w: child %s: name %s is used twice in the spec", ErrInvalidSpec, term.FormatAtom(cs.id), term.FormatAtom(name))
			}
			names[name] = true
		}
		cfg.children = append(cfg.children, cs)
	}
	return cfg, nil
}

// check validates c and fills in the defaults.
func (c Child) check() (childSpec, error) {
	return c.checkAt(0)
}

// checkAt checks c as a child of a supervisor nested depth levels deep.
func (c Child) checkAt(depth int) (childSpec, error) {
	cs := childSpec{id: c.ID, start: c.Start, restart: c.Restart, shutdown: c.Shutdown, name: c.Name}
	if c.ID == "" {
		return childSpec{}, fmt.Errorf("%w: child without an ID", ErrInvalidSpec)
	}
	what := "child " + term.FormatAtom(c.ID)
	if !term.ValidName(c.ID) {
		return childSpec{}, fmt.Errorf("%w: %s: ids are 1-255 bytes, no NUL", ErrInvalidSpec, what)
	}
	switch {
	case c.Supervisor != nil && (c.Start != nil || c.Fn != nil || c.Args != nil):
		return childSpec{}, fmt.Errorf("%w: %s: set Supervisor, or Start, or Fn and Args: only one", ErrInvalidSpec, what)
	case c.Supervisor != nil:
		if depth+1 >= maxTreeDepth {
			return childSpec{}, fmt.Errorf("%w: %s: supervisors nested more than %d deep (does a spec contain itself?)", ErrInvalidSpec, what, maxTreeDepth)
		}
		if c.Name != "" {
			return childSpec{}, fmt.Errorf("%w: %s: name a nested supervisor with its Spec.Name, not the child's Name", ErrInvalidSpec, what)
		}
		cfg, err := c.Supervisor.checkAt(depth + 1)
		if err != nil {
			return childSpec{}, fmt.Errorf("%s: %w", what, err)
		}
		cs.sup = &cfg
		cs.funcName = "supervisor"
		if c.Shutdown == 0 {
			cs.shutdown = Infinity
		}
	case c.Start != nil && c.Fn != nil:
		return childSpec{}, fmt.Errorf("%w: %s: set Start or Fn, not both", ErrInvalidSpec, what)
	case c.Start != nil && c.Args != nil:
		return childSpec{}, fmt.Errorf("%w: %s: Args go with Fn, not with Start", ErrInvalidSpec, what)
	case c.Start != nil:
		cs.funcName = node.FuncName(c.Start)
	case c.Fn != nil:
		// Entry checks fn and the arguments and copies them; each start
		// gets its own copy of those.
		start, err := node.Entry(c.Fn, c.Args...)
		if err != nil {
			return childSpec{}, fmt.Errorf("%w: %s: %v", ErrInvalidSpec, what, err)
		}
		cs.start = start
		cs.funcName = node.FuncName(c.Fn)
	default:
		return childSpec{}, fmt.Errorf("%w: %s: no start function (set Start, or Fn and Args, or Supervisor)", ErrInvalidSpec, what)
	}
	if c.Restart > Temporary {
		return childSpec{}, fmt.Errorf("%w: %s: unknown restart type %d (use Permanent, Transient or Temporary)", ErrInvalidSpec, what, c.Restart)
	}
	switch {
	case c.Shutdown == 0 && c.Supervisor == nil:
		cs.shutdown = DefaultShutdown
	case c.Shutdown < 0 && c.Shutdown != BrutalKill && c.Shutdown != Infinity:
		return childSpec{}, fmt.Errorf("%w: %s: shutdown %v is negative (use BrutalKill or Infinity)", ErrInvalidSpec, what, c.Shutdown)
	}
	if c.Name != "" && !term.Registrable(c.Name) {
		return childSpec{}, fmt.Errorf("%w: %s: name %q: names are 1-255 bytes, no NUL, not undefined", ErrInvalidSpec, what, c.Name)
	}
	return cs, nil
}

// shutdownTerm is the child's shutdown as OTP writes it: brutal_kill,
// infinity, or milliseconds.
func (cs *childSpec) shutdownTerm() any {
	switch cs.shutdown {
	case BrutalKill:
		return term.Atom("brutal_kill")
	case Infinity:
		return term.Atom("infinity")
	}
	return cs.shutdown.Milliseconds()
}
