package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// SessionConfig says how to build a Session.
type SessionConfig struct {
	Env *Env
	// Stdout receives what interpreted code prints (fmt.Print*, println)
	// and what built-ins such as flush() and i() print. Stderr receives
	// the log package's output. Both must be safe for concurrent use:
	// processes print while the shell reads input.
	Stdout, Stderr io.Writer
	// Messages receives what flush() prints (Shell got ...); nil means
	// Stdout. The shell colors it.
	Messages io.Writer
	// OnQuit is called by q() (halt false) and halt() (halt true).
	OnQuit func(halt bool)
	// Name is what i() shows as the shell process's function.
	Name string
	// Grace is how long Ctrl-C lets an input unwind by itself before
	// stopping the interpreter's code; 0 means 200 ms.
	Grace time.Duration
}

// Session is one shell: a yaegi interpreter with the gerl API and the erl
// built-ins, and the shell process its inputs run as. Inputs are evaluated
// one at a time, in order; processes spawned from them keep running
// between inputs. Eval may be called from one goroutine at a time;
// Interrupt from any goroutine, at any time.
type Session struct {
	env    *Env
	yi     *yaegi.Interpreter
	ctl    *runControl
	out    io.Writer
	msgs   io.Writer
	onQuit func(bool)
	name   string
	grace  time.Duration

	evalMu   sync.Mutex  // one Eval at a time
	stopping atomic.Bool // the interpreter's code is stopped (Ctrl-C)

	mu       sync.Mutex // guards the fields below
	proc     *node.Proc // the shell process; replaced when it dies
	reported *node.Proc // a shell process whose exit was already printed
	cancel   context.CancelFunc
	n        int           // inputs evaluated so far
	results  map[int][]any // v(n)
	captured []any         // what __gerl_result saw in this input
	didSet   bool
	docs     map[string]Doc
	closed   bool
	// imported maps the package names imported at the prompt to their
	// paths; used on the evaluating goroutine only.
	imported map[string]string
	stdPkgs  map[string]string
	// pending are the packages and built-ins other packages added (see
	// later); guarded by mu, applied with evalMu held.
	pending []func()
	// extensions counts the dot-imported packages of built-ins added
	// after the session started; used with evalMu held.
	extensions int
}

// NewSession starts a shell session on env's node: it attaches the shell
// process and prepares the interpreter (about 5 ms, mostly loading the
// standard library's symbols).
func NewSession(cfg SessionConfig) (_ *Session, err error) {
	if cfg.Env == nil || cfg.Env.node == nil {
		return nil, errors.New("new session: an Env attached to a node is required")
	}
	out := cfg.Stdout
	if out == nil {
		out = io.Discard
	}
	errw := cfg.Stderr
	if errw == nil {
		errw = io.Discard
	}
	msgs := cfg.Messages
	if msgs == nil {
		msgs = out
	}
	s := &Session{
		env:      cfg.Env,
		out:      out,
		msgs:     msgs,
		onQuit:   cfg.OnQuit,
		name:     cfg.Name,
		grace:    cfg.Grace,
		results:  make(map[int][]any),
		docs:     builtinDocs(),
		imported: map[string]string{"gerl": GerlPath},
		stdPkgs:  stdlibPackages(),
	}
	for name, path := range gerlPackages() {
		s.stdPkgs[name] = path // imported on first use, as standard packages
	}
	for name, d := range serviceDocs() {
		s.docs[name] = d
	}
	if s.name == "" {
		s.name = "shell"
	}
	if s.grace == 0 {
		s.grace = 200 * time.Millisecond
	}
	s.yi = yaegi.New(yaegi.Options{Stdout: out, Stderr: &panicTraceFilter{w: errw}, Unrestricted: true})
	ctl, err := newRunControl(s.yi)
	if err != nil {
		return nil, err
	}
	s.ctl = ctl
	p, err := cfg.Env.node.Attach(s.name)
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	s.proc = p
	// A session that fails to start leaves nothing behind: no process, no
	// place in the Env's sessions.
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	s.watch(p)
	for _, syms := range []yaegi.Exports{stdlib.Symbols, unrestricted.Symbols, cfg.Env.Exports()} {
		if err := s.yi.Use(syms); err != nil {
			return nil, fmt.Errorf("new session: %w", err)
		}
	}
	// time.Sleep at the prompt must yield to Ctrl-C, and in a process to a
	// kill, like the sleep built-in.
	if err := s.yi.Use(yaegi.Exports{"time/time": {"Sleep": reflect.ValueOf(cfg.Env.Sleep)}}); err != nil {
		return nil, err
	}
	// Once registered, the session gets packages and built-ins from other
	// goroutines (later); they wait for the construction to end.
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	builtins, packages := cfg.Env.addSession(s)
	// The built-ins other packages added go in before the dot import,
	// which sees only the names present when it is evaluated.
	shellSyms := s.builtins()
	for name, b := range builtins {
		shellSyms[name] = reflect.ValueOf(b.Fn)
		s.docs[name] = b.Doc
	}
	if err := s.yi.Use(yaegi.Exports{shellPath + "/shell": shellSyms}); err != nil {
		return nil, err
	}
	for _, src := range []string{`import "gerl"`, `import . "` + shellPath + `"`, `import ` + shellAlias + ` "` + shellPath + `"`} {
		if _, err := s.yi.Eval(src); err != nil {
			return nil, fmt.Errorf("new session: %s: %w", src, err)
		}
	}
	for path, exports := range packages {
		s.usePackage(path, exports)
	}
	s.applyPending()
	return s, nil
}

// shellPath is the package of the shell's built-ins, dot-imported, and
// also imported as shellAlias so a shadowed built-in stays reachable.
const (
	shellPath  = "gerl/shell"
	shellAlias = "__gerl_shell"
)

// Proc returns the shell process.
func (s *Session) Proc() *node.Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// Env returns the session's Env.
func (s *Session) Env() *Env { return s.env }

// Count returns how many inputs have been evaluated; the prompt shows
// Count()+1.
func (s *Session) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Close ends the shell process and detaches the session from its Env.
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	p := s.proc
	s.mu.Unlock()
	s.env.removeSession(s)
	_ = s.env.node.Exit(p.Self(), term.Kill)
}

// useBuiltins adds built-ins from other packages (hot loading's c, l, nl)
// to a running session: in a package of their own, dot-imported (a dot
// import sees only the names present when it is evaluated), and in the
// shell package for shellAlias.
func (s *Session) useBuiltins(b map[string]Builtin) {
	if len(b) == 0 {
		return
	}
	syms := make(map[string]reflect.Value, len(b))
	s.mu.Lock()
	for name, bi := range b {
		syms[name] = reflect.ValueOf(bi.Fn)
		s.docs[name] = bi.Doc
	}
	s.mu.Unlock()
	s.later(func() {
		s.extensions++
		pkg := fmt.Sprintf("%s/ext%d", shellPath, s.extensions)
		if s.yi.Use(yaegi.Exports{pkg + "/" + path.Base(pkg): syms}) == nil {
			_, _ = s.evalSafe(`import . "` + pkg + `"`)
		}
		_ = s.yi.Use(yaegi.Exports{shellPath + "/shell": syms})
	})
}

// usePackage makes a native package importable and imports it.
func (s *Session) usePackage(pkg string, exports yaegi.Exports) {
	s.later(func() {
		if err := s.yi.Use(exports); err != nil {
			return
		}
		_, _ = s.evalSafe(fmt.Sprintf("import %q", pkg))
	})
}

// later applies a change other packages make to the session (a package,
// built-ins): at once if the session is between inputs, else before its
// next input, on the goroutine evaluating it. It never waits:
// it is called from other goroutines, and from an input's own evaluation
// (c("counter") at the prompt adds package counter).
func (s *Session) later(f func()) {
	s.mu.Lock()
	s.pending = append(s.pending, f)
	s.mu.Unlock()
	if s.evalMu.TryLock() {
		s.applyPending()
		s.evalMu.Unlock()
	}
}

// applyPending applies the changes later queued. The caller holds evalMu
// (or evaluates the input that holds it).
func (s *Session) applyPending() {
	s.mu.Lock()
	todo := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, f := range todo {
		f()
	}
}

// Interrupt stops the input being evaluated, as Ctrl-C does: blocking
// gerl calls (receive, sleep, call, rpc, ping) return at once; an input
// still running after the grace period (a busy loop) is stopped by
// stopping the interpreter's code. It does nothing between inputs.
func (s *Session) Interrupt() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Outcome is the result of evaluating one input.
type Outcome struct {
	// N is the input's number (the prompt showed N).
	N int
	// Values holds the value(s) of the input's last expression; HasValue
	// is false for statements and calls without results.
	Values   []any
	HasValue bool
	// Notices are things the shell must tell the user, such as a new shell
	// process after the old one exited.
	Notices []string
}

// ErrorKind classifies an EvalError.
type ErrorKind int

// Kinds of EvalError.
const (
	CompileError  ErrorKind = iota + 1 // syntax or type error: nothing ran
	Exception                          // a panic: ** exception error
	ExitException                      // the shell process exited: ** exception exit
	Interrupted                        // Ctrl-C
)

// EvalError is an input that failed. Line and Col locate compile errors in
// the input (1-based; 0 when unknown).
type EvalError struct {
	Kind      ErrorKind
	Msg       string
	Line, Col int
	Value     any // the panic value or exit reason
}

func (e *EvalError) Error() string {
	switch e.Kind {
	case CompileError:
		if e.Line > 0 {
			return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
		}
		return e.Msg
	case Exception:
		return "** exception error: " + e.Msg
	case ExitException:
		return "** exception exit: " + e.Msg
	case Interrupted:
		return "** interrupted" + e.Msg
	}
	return e.Msg
}

// Eval evaluates one complete input (see Incomplete) as the shell process:
// statements, expressions and declarations, in any mix. Send expressions
// (pid ! msg) and closures created in loops are rewritten first. Errors are
// *EvalError; the session stays usable after any of them, with its
// variables intact.
func (s *Session) Eval(src string) (Outcome, error) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	// The input can be interrupted from now on: a Ctrl-C that comes while
	// it is still being prepared is not lost.
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
		cancel()
	}()
	s.applyPending()
	var out Outcome
	out.Notices = s.renewProc()
	prep, err := prepare(s.unshadow(src))
	if err != nil {
		return out, err
	}
	if len(prep.segments) == 0 {
		return out, nil
	}
	s.mu.Lock()
	s.n++
	out.N = s.n
	proc := s.proc
	s.captured, s.didSet = nil, false
	s.mu.Unlock()

	done := make(chan error, 1)
	go s.run(ctx, proc, prep, done)
	err = s.wait(ctx, done)

	s.mu.Lock()
	if err == nil && s.didSet {
		out.Values, out.HasValue = s.captured, true
		s.results[out.N] = s.captured
	}
	s.mu.Unlock()
	if ee, ok := err.(*EvalError); ok && ee.Kind == ExitException {
		out.Notices = append(out.Notices, s.renewProc()...)
	}
	return out, err
}

// wait waits for the input's goroutine, handling Ctrl-C: first the
// blocking gerl calls give up; if the input is still running after the
// grace period, the interpreter's code is stopped, and resumed once the
// input has returned, so code defined earlier keeps working.
func (s *Session) wait(ctx context.Context, done chan error) error {
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return interruptedErr(err, "")
	case <-time.After(s.grace):
	}
	s.stopping.Store(true)
	old := s.ctl.stop()
	select {
	case err := <-done:
		s.settleShellProcesses()
		s.ctl.resume(old)
		s.stopping.Store(false)
		note := ""
		if victims := s.env.stopInputProcesses(s, s.Count()); len(victims) > 0 {
			note = fmt.Sprintf(" (the processes this input started were stopped with it: %s)", term.Format(victims))
		}
		return interruptedErr(err, note)
	case <-time.After(2 * time.Second):
	}
	// The input is blocked in a call gerl cannot interrupt. Leave the
	// interpreter stopped, so the input ends when that call returns, and
	// say what that cost.
	victims := s.env.stopShellProcesses(s)
	s.stopping.Store(false)
	note := " (the input was blocked in a call the shell cannot interrupt; it stops when that call returns." +
		" Interpreted code defined before now was stopped with it: closures stored in variables must be defined again"
	if len(victims) > 0 {
		note += fmt.Sprintf(", and %d processes spawned from the shell exited with reason interrupted: %s", len(victims), term.Format(victims))
	}
	return interruptedErr(nil, note+")")
}

// settleShellProcesses keeps the interpreter stopped until each process
// running this shell's code has noticed: a busy one returns (and exits
// with reason interrupted), a parked one stays parked. It waits at most
// 200 ms; a process blocked in a call outside gerl keeps running.
func (s *Session) settleShellProcesses() {
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		busy := false
		s.env.mu.Lock()
		for pid, sp := range s.env.shellProcs {
			if sp.s != s {
				continue
			}
			if info, ok := s.env.node.Info(pid); ok && info.Status == "running" {
				busy = true
				break
			}
		}
		s.env.mu.Unlock()
		if !busy {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func interruptedErr(err error, note string) error {
	var ee *EvalError
	if errors.As(err, &ee) && ee.Kind != Exception && ee.Kind != Interrupted {
		return err // it finished, or failed, before noticing
	}
	return &EvalError{Kind: Interrupted, Msg: note, Value: ErrInterrupted}
}

// run evaluates the prepared input on the calling goroutine, acting as the
// shell process, and reports on done.
func (s *Session) run(ctx context.Context, proc *node.Proc, prep *prepared, done chan<- error) {
	id := s.env.gor.enter(s, proc, ctx)
	defer s.env.gor.leave(id)
	s.ctl.begin()
	done <- s.runSegments(prep)
}

func (s *Session) runSegments(prep *prepared) error {
	for i, seg := range prep.segments {
		text, skip := s.dropReimports(seg)
		if skip {
			continue
		}
		if err := s.autoImport(seg); err != nil {
			return prep.compileError(seg, err)
		}
		last := i == len(prep.segments)-1
		var prog *yaegi.Program
		var err error
		if last && seg.Kind == Stmts {
			if capture, ok := captureLastExpr(text); ok {
				prog, err = s.compile(capture)
			}
		}
		if prog == nil {
			prog, err = s.compile(text)
		}
		if err != nil {
			return prep.compileError(seg, s.explain(seg, err))
		}
		if _, err := s.yi.Execute(prog); err != nil {
			return runtimeError(err)
		}
		if seg.Kind == Decl {
			for name, path := range importsOf(seg) {
				s.imported[name] = path
			}
		}
	}
	return nil
}

// dropReimports removes from an import segment the imports the prompt
// already has, so importing a package twice is not an error. It reports
// skip when nothing is left.
func (s *Session) dropReimports(seg Segment) (string, bool) {
	if seg.Kind != Decl {
		return seg.Text, false
	}
	imps := importsOf(seg)
	if len(imps) == 0 {
		return seg.Text, false
	}
	var fresh []string
	for name, path := range imps {
		if s.imported[name] != path {
			fresh = append(fresh, fmt.Sprintf("%s %q", name, path))
		}
	}
	if len(fresh) == len(imps) {
		return seg.Text, false
	}
	if len(fresh) == 0 {
		return "", true
	}
	return "import (\n" + strings.Join(fresh, "\n") + "\n)", false
}

// autoImport imports the standard packages seg uses without importing.
func (s *Session) autoImport(seg Segment) error {
	var globals map[string]reflect.Value
	for _, name := range selectorBases(seg) {
		if _, ok := s.imported[name]; ok {
			continue
		}
		path, ok := s.stdPkgs[name]
		if !ok {
			continue
		}
		if globals == nil {
			globals = s.globals()
		}
		if _, shadowed := globals[name]; shadowed {
			continue
		}
		if _, err := s.evalSafe(fmt.Sprintf("import %q", path)); err != nil {
			return err
		}
		s.imported[name] = path
	}
	return nil
}

// explain replaces yaegi's "constant definition loop", which it reports
// for a global assigned from an undefined name, with "undefined: name".
func (s *Session) explain(seg Segment, err error) error {
	if !strings.Contains(err.Error(), "constant definition loop") {
		return err
	}
	globals := s.globals()
	for _, id := range unresolved(seg) {
		name := id.Name
		if _, ok := globals[name]; ok || isUniverse(name) || s.isBuiltin(name) || s.imported[name] != "" {
			continue
		}
		if _, ok := termTypes()[name]; ok || name == bangFunc || name == captureFunc || name == goFunc || name == goSpreadFunc || name == shellAlias {
			continue
		}
		_, shift := parseSegment(seg)
		off := int(id.Pos()) - 1 - shift
		line, col := LineCol(seg.Text, off)
		return fmt.Errorf("%d:%d: undefined: %s", line, col+seg.yaegiShift()*boolInt(line == 1), name)
	}
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// compile compiles src, turning a panic inside yaegi's compiler (some
// inputs cause one) into an error.
func (s *Session) compile(src string) (prog *yaegi.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("the interpreter failed to compile this input: %v", r)
		}
	}()
	return s.yi.Compile(src)
}

// runtimeError turns what Execute returned into an EvalError.
func runtimeError(err error) error {
	var p yaegi.Panic
	if !errors.As(err, &p) {
		return &EvalError{Kind: Exception, Msg: err.Error(), Value: err}
	}
	switch v := p.Value.(type) {
	case *node.ExitError:
		return &EvalError{Kind: ExitException, Msg: term.Format(v.Reason), Value: v.Reason}
	case error:
		if errors.Is(v, ErrInterrupted) {
			return &EvalError{Kind: Interrupted, Value: v}
		}
		// yaegi's failed type assertions end in an empty "missing method",
		// and its runtime errors start with a position in its own wrapping
		// of the input.
		msg := strings.TrimSuffix(term.ErrorText(v), ": missing method ")
		msg = runtimePos.ReplaceAllString(msg, "")
		return &EvalError{Kind: Exception, Msg: msg, Value: v}
	case string:
		return &EvalError{Kind: Exception, Msg: v, Value: v}
	}
	return &EvalError{Kind: Exception, Msg: term.Format(p.Value), Value: p.Value}
}

// renewProc attaches a new shell process if the current one has exited,
// and says so.
func (s *Session) renewProc() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc.Alive() || s.closed {
		return nil
	}
	old := s.proc
	p, err := s.env.node.Attach(s.name)
	if err != nil {
		return []string{fmt.Sprintf("the shell process %s exited and no new one can start: %v", old.Self(), err)}
	}
	s.proc = p
	s.watch(p)
	if s.reported == old {
		return nil // said when it happened
	}
	return []string{fmt.Sprintf("the shell process %s exited (%s); the new shell process is %s",
		old.Self(), term.Format(old.ExitReason()), p.Self())}
}

// watch reports at once, as erl does, a shell process that exits between
// inputs (killed, or ended by a linked process): the next input would
// otherwise be the first to notice, after it ran on a new process.
func (s *Session) watch(p *node.Proc) {
	p.OnExit(func(reason any) {
		s.mu.Lock()
		quiet := s.cancel != nil || s.closed || s.proc != p
		if !quiet {
			s.reported = p
		}
		s.mu.Unlock()
		if !quiet {
			fmt.Fprintf(s.out, "** exception exit: %s (the shell process %s exited; the next input runs in a new one)\n",
				term.Format(reason), p.Self())
		}
	})
}

// capture stores the value(s) of the input's last expression.
func (s *Session) capture(vals ...any) {
	s.mu.Lock()
	s.captured, s.didSet = vals, true
	s.mu.Unlock()
}

// Bindings returns the shell's variables and their current values.
func (s *Session) Bindings() map[string]any {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	out := map[string]any{}
	for name, v := range s.globals() {
		if v.IsValid() && v.CanInterface() {
			out[name] = v.Interface()
		} else {
			out[name] = nil
		}
	}
	return out
}

// evalSafe is yaegi's Eval with its panics turned into errors.
func (s *Session) evalSafe(src string) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the interpreter failed on %q: %v", src, r)
		}
	}()
	return s.yi.Eval(src)
}

// globals returns the interpreter's global variables. yaegi's Globals
// panics after some failed compilations (its frame is shorter than its
// scope); then there is nothing reliable to report.
func (s *Session) globals() (g map[string]reflect.Value) {
	defer func() {
		if recover() != nil {
			g = map[string]reflect.Value{}
		}
	}()
	return s.yi.Globals()
}

// NewPanicTraceFilter wraps w so that the "1:28: panic: main(...)" lines
// yaegi writes to an interpreter's stderr while a panic unwinds interpreted
// frames are dropped: the shell and the crash reports say what panicked.
// Hot loading's module interpreters write through one too.
func NewPanicTraceFilter(w io.Writer) io.Writer { return &panicTraceFilter{w: w} }

// panicTraceFilter drops the "1:28: panic: main(...)" lines yaegi writes to
// the interpreter's stderr while a panic unwinds interpreted frames: the
// shell reports the panic itself.
type panicTraceFilter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

var runtimePos = regexp.MustCompile(`^\d+:\d+: `)

var panicTrace = regexp.MustCompile(`^(\S+:)?\d+:\d+: panic(: .*)?$`)

func (f *panicTraceFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			break
		}
		line := f.buf[:i+1]
		if !panicTrace.Match(bytes.TrimRight(line, "\n")) {
			if _, err := f.w.Write(line); err != nil {
				return len(p), err
			}
		}
		f.buf = f.buf[i+1:]
	}
	return len(p), nil
}
