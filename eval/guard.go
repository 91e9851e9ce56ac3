package eval

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/gerl-dev/gerl/internal/gstack"
	"github.com/gerl-dev/gerl/node/term"
)

// The checks the guard rewrite compiles into interpreted code
// (rewrite_guard.go): at the entry of functions that call others, and
// every GuardTickEvery iterations of a loop. Both end the goroutine of a
// process that was killed while it ran; the entry check also ends a
// process whose stack grew past its limit, with reason
// {stack_overflow, "loop"}, before Go's runtime would end the whole node.
// The fast path is a stack measurement (gstack.Used) and two atomic
// loads.

// Names the guard rewrite uses at the prompt; the shell's built-ins define
// the functions, and newInterpreter declares the counter of loops typed
// outside any function. Modules call the gerl/guard package's Enter and
// Tick (GuardPath).
const (
	guardEnterFunc = "__gerl_enter"
	guardTickFunc  = "__gerl_tick"
	guardCounter   = "__gerl_n"
	guardTop       = "__gerl_top_n"
)

// promptGuards are the guard rewrite's names at the prompt.
func promptGuards() GuardNames {
	return GuardNames{Enter: guardEnterFunc, Tick: guardTickFunc, Counter: guardCounter, Top: guardTop,
		Safe: func(name string) bool { return name == bangFunc }}
}

// hideGuards removes what the guard rewrite inserted from a message that
// quotes the user's code.
func hideGuards(msg string) string {
	if !strings.Contains(msg, "__gerl_") {
		return msg
	}
	return guardText.ReplaceAllString(msg, "")
}

// guardText matches the statements the guard rewrite inserts.
var guardText = regexp.MustCompile(`__gerl_enter\("(?:[^"\\]|\\.)*"\);(?: var __gerl_n int;)?|var __gerl_n int;|(?:__gerl_n|__gerl_top_n)\+\+; if (?:__gerl_n|__gerl_top_n) > \d+ \{ (?:__gerl_n|__gerl_top_n) = 0; __gerl_tick\(\) \};`)

// GuardPath is the import path of the checks modules are compiled with
// (see hotload): import gerl_guard_ "gerl/guard".
const GuardPath = "gerl/guard"

// StackOverflow is the first element of the exit reason of a process whose
// stack grew past its limit: {stack_overflow, "loop"}.
const StackOverflow term.Atom = "stack_overflow"

// Stack limits. A goroutine's stack doubles as it grows, and Go ends the
// program when one would pass 1 GB; a process is stopped when its stack
// reaches 15/16 of its limit, so that the stack never has to grow past the
// limit.
const (
	// DefaultMaxStack is the stack a process may use unless -max_stack or
	// process_flag(A("max_stack"), bytes) says otherwise: about 450,000
	// calls of a small recursive function, 70,000 of a closure calling
	// itself through a variable (docs/concepts.md).
	DefaultMaxStack = 256 << 20
	// MinMaxStack and MaxMaxStack bound the limit one can set.
	MinMaxStack = 64 << 10
	MaxMaxStack = 512 << 20
)

// guard is the Env's state for the checks. Safe for concurrent use.
type guard struct {
	maxStack atomic.Uintptr // the default limit
	maxAlloc atomic.Uint64  // the most one make may ask for (rewrite_make.go)
	// trip is what the fast path compares the stack with: the lowest trip
	// point of any limit set so far (a process's own limit is looked up
	// only past it).
	trip atomic.Uintptr
	// shellExits counts shell processes that exited while their session
	// evaluated an input: the input's goroutine must notice.
	shellExits atomic.Int64
}

func (g *guard) init() {
	g.maxStack.Store(DefaultMaxStack)
	g.trip.Store(tripPoint(DefaultMaxStack))
}

// tripPoint is the stack size at which a process with limit max is
// stopped.
func tripPoint(max uintptr) uintptr { return max - max/16 }

// lower makes the fast path look closer at stacks past max's trip point.
func (g *guard) lower(max uintptr) {
	t := tripPoint(max)
	for {
		cur := g.trip.Load()
		if cur <= t || g.trip.CompareAndSwap(cur, t) {
			return
		}
	}
}

// checkStackLimit validates a stack limit given by the user.
func checkStackLimit(what string, n int64) (uintptr, error) {
	if n < MinMaxStack || n > MaxMaxStack {
		return 0, fmt.Errorf("%s: %d bytes is not a stack limit: want %s to %s (the default is %s)", what, n,
			bytesText(MinMaxStack), bytesText(MaxMaxStack), bytesText(DefaultMaxStack))
	}
	return uintptr(n), nil
}

// SetMaxStack sets the stack limit of every process that has not set its
// own (gerl -max_stack). It returns an error for a limit out of range
// (MinMaxStack to MaxMaxStack).
func (e *Env) SetMaxStack(bytes int64) error {
	n, err := checkStackLimit("max_stack", bytes)
	if err != nil {
		return err
	}
	e.guard.maxStack.Store(n)
	e.guard.lower(n)
	return nil
}

// MaxStack returns the default stack limit.
func (e *Env) MaxStack() int64 { return int64(e.guard.maxStack.Load()) }

// procLimits are the limits a process set for itself; they live with its
// goroutine's entry in Env.gor.
type procLimits struct {
	maxStack uintptr
}

// setProcMaxStack sets the calling process's stack limit and returns the
// previous one.
func (e *Env) setProcMaxStack(bytes int64) int64 {
	n, err := checkStackLimit("process_flag(max_stack)", bytes)
	raise(err)
	a := e.actor("process_flag")
	old := int64(e.guard.maxStack.Load())
	if a.lim == nil {
		a.lim = &procLimits{}
		e.gor.update(a)
	} else if a.lim.maxStack != 0 {
		old = int64(a.lim.maxStack)
	}
	a.lim.maxStack = n
	e.guard.lower(n)
	return old
}

// guardEnter is the check at the entry of an interpreted function: fn is
// its name, for the report.
func (e *Env) guardEnter(fn string) {
	if used := gstack.Used(); used > e.guard.trip.Load() {
		e.checkStack(fn, used)
	}
	if e.node.Exiting() > 0 || e.guard.shellExits.Load() > 0 {
		e.checkExit()
	}
}

// guardTick is the check in loops.
func (e *Env) guardTick() {
	if e.node.Exiting() > 0 || e.guard.shellExits.Load() > 0 {
		e.checkExit()
	}
}

// checkExit ends the calling goroutine if the process it runs has exited.
func (e *Env) checkExit() {
	a, ok := e.gor.current()
	if !ok || a.proc.Alive() {
		return
	}
	if a.in != nil {
		// The shell process of an input: end the input, as its next
		// runtime call would, but without a panic (see exitInput).
		a.in.exitInput(&EvalError{Kind: ExitException, Msg: term.Format(a.proc.ExitReason()), Value: a.proc.ExitReason()})
	}
	a.proc.Check()
}

// checkStack stops the calling goroutine if its stack is past its limit.
func (e *Env) checkStack(fn string, used uintptr) {
	max := e.guard.maxStack.Load()
	a, ok := e.gor.current()
	if ok && a.lim != nil && a.lim.maxStack != 0 {
		max = a.lim.maxStack
	}
	if used <= tripPoint(max) {
		return
	}
	reason := term.Tuple{StackOverflow, fn}
	why := fmt.Sprintf("stack overflow in %s: the stack reached its limit of %s (a recursion without a base case?); "+
		`-max_stack or process_flag(A("max_stack"), bytes) sets the limit`, fn, bytesText(uint64(max)))
	switch {
	case !ok:
		e.node.Logger().Error("goroutine crashed", "func", fn, "reason", term.Format(reason), "where", why)
		runtime.Goexit()
	case a.in != nil:
		a.in.exitInput(&EvalError{Kind: Exception, Msg: why, Value: reason})
	default:
		e.node.Logger().Error("process crashed", "pid", a.proc.Self().String(), "func", a.proc.FuncName(),
			"reason", term.Format(reason), "where", why)
		a.proc.ExitSelf(reason)
	}
}

// exitInput ends the goroutine running the input with err as its outcome.
// It unwinds with runtime.Goexit: a panic through thousands of interpreted
// frames takes time quadratic in their number (yaegi recovers and panics
// again in each), a Goexit linear. Session.run reports err.
func (in *input) exitInput(err *EvalError) {
	in.exit.Store(err)
	runtime.Goexit()
}

// Guard built-ins and the gerl/guard package: the functions the rewrite
// calls. They are not meant to be called by hand.
func (e *Env) guardExports() map[string]any {
	return map[string]any{"Enter": e.guardEnter, "Tick": e.guardTick, "Index": CheckIndex, "Index" + tupleSuffix: TupleElem, "Index" + makeSuffix: e.checkMake}
}
