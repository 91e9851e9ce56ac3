package eval

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"sync"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib/unrestricted"
)

// shellPath is the package of the shell's built-ins, dot-imported, and
// also imported as shellAlias so a shadowed built-in stays reachable.
const (
	shellPath  = "gerl/shell"
	shellAlias = "__gerl_shell"
)

// newInterpreter builds the interpreter the session's inputs run in: the
// standard library, the gerl API, the shell's built-ins (with those other
// packages added, builtins) dot-imported, and the packages other packages
// added; then it imports again what the prompt had imported. The caller
// holds evalMu. The packages are imported through later, so the caller
// applies the pending changes next.
func (s *Session) newInterpreter(builtins map[string]Builtin, packages map[string]yaegi.Exports) error {
	yi := yaegi.New(yaegi.Options{Stdout: s.env.Output(), Stderr: &panicTraceFilter{w: s.errw, record: s.env.frames.add}, Unrestricted: true})
	ctl, err := newRunControl(yi)
	if err != nil {
		return err
	}
	for _, syms := range []yaegi.Exports{StdlibSymbols(), unrestricted.Symbols, s.env.Exports()} {
		if err := yi.Use(syms); err != nil {
			return err
		}
	}
	if err := UseStdGenerics(yi, func(string) bool { return true }); err != nil { // imported at any time
		return err
	}
	// time.Sleep at the prompt must yield to Ctrl-C, and in a process to a
	// kill, like the sleep built-in; a panic in time.AfterFunc's function
	// must not end the node.
	if err := yi.Use(s.env.StdOverrides()); err != nil {
		return err
	}
	// The built-ins other packages added go in before the dot import,
	// which sees only the names present when it is evaluated.
	shellSyms := s.builtins()
	s.mu.Lock()
	for name, b := range builtins {
		shellSyms[name] = reflect.ValueOf(b.Fn)
		s.docs[name] = b.Doc
	}
	s.mu.Unlock()
	if err := yi.Use(yaegi.Exports{shellPath + "/shell": shellSyms}); err != nil {
		return err
	}
	// The last expression's value reaches capture as fmt's print functions
	// get their arguments: a value with interpreted String, Error or Format
	// methods in a wrapper that has them (see capture).
	printing := map[reflect.Value][]reflect.Type{shellSyms[captureFunc]: printingTypes()}
	if err := yi.Use(yaegi.Exports{".": {"MapTypes": reflect.ValueOf(printing)}}); err != nil {
		return err
	}
	for _, src := range []string{`import "gerl"`, `import . "` + shellPath + `"`, `import ` + shellAlias + ` "` + shellPath + `"`,
		`var ` + guardTop + ` int`, `var ` + blankSink + ` any`} {
		if _, err := yi.Eval(src); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
	}
	frame, err := newGlobalFrame(yi)
	if err != nil {
		return err
	}
	syms, err := symbolsOf(yi)
	if err != nil {
		return err
	}
	s.yi, s.ctl, s.frame, s.syms = yi, ctl, frame, syms
	// What the prompt imported before (only after an input was left
	// behind: see abandon), in a stable order.
	names := make([]string, 0, len(s.imported))
	for name := range s.imported {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name != "gerl" {
			_, _ = s.evalSafe(fmt.Sprintf("import %s %q", name, s.imported[name]))
		}
	}
	for path, exports := range packages {
		s.usePackage(path, exports)
	}
	return nil
}

// evalSafe is yaegi's Eval with its panics turned into errors, and the
// global frame prepared between compiling and running (see globalFrame).
func (s *Session) evalSafe(src string) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the interpreter failed on %q: %v", src, r)
		}
	}()
	prog, err := s.yi.Compile(src)
	if err != nil {
		return v, err
	}
	s.frame.prepare()
	return s.yi.Execute(prog)
}

// NewPanicTraceFilter wraps w so that the "1:28: panic: main(...)" lines
// yaegi writes to an interpreter's stderr while a panic unwinds interpreted
// frames are dropped: the shell and the crash reports say what panicked.
// Hot loading's module interpreters write through one too. The writer it
// returns is safe for concurrent use.
func NewPanicTraceFilter(w io.Writer) io.Writer { return &panicTraceFilter{w: w} }

// panicTraceFilter drops the "1:28: panic: main(...)" lines yaegi writes to
// the interpreter's stderr while a panic unwinds interpreted frames: the
// shell reports the panic itself.
type panicTraceFilter struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	record func(line string) // given the dropped lines, if set
}

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
		if trimmed := bytes.TrimRight(line, "\n"); !panicTrace.Match(trimmed) {
			if _, err := f.w.Write(line); err != nil {
				return len(p), err
			}
		} else if f.record != nil {
			f.record(string(trimmed))
		}
		f.buf = f.buf[i+1:]
	}
	return len(p), nil
}
