package eval

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// userFrames keeps, per goroutine, the lines of the user's own code a
// panic unwound: yaegi writes one ("rec.go:7:70: panic: rec.At(...)") for
// each interpreted frame to its interpreter's stderr, on the panicking
// goroutine, and the panic trace filter hands them here instead of
// printing them. A process's crash report takes its goroutine's lines
// (node.SetUserFrames) and shows them before the Go stack. Safe for
// concurrent use; the zero value is ready.
type userFrames struct {
	mu  sync.Mutex
	byG map[uint64][]string
}

const (
	// maxFrameGoroutines bounds the goroutines kept: lines of panics that
	// were recovered are never taken, and go when it is reached.
	maxFrameGoroutines = 256
	// maxFrameLines is how many frames a report shows, innermost first.
	maxFrameLines = 8
)

// add records a line yaegi wrote while a panic unwound the calling
// goroutine.
func (u *userFrames) add(line string) {
	id := goroutineID()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byG == nil || (len(u.byG) >= maxFrameGoroutines && u.byG[id] == nil) {
		u.byG = map[uint64][]string{}
	}
	if lines := u.byG[id]; len(lines) < maxFrameLines {
		u.byG[id] = append(lines, line)
	}
}

// take returns, and forgets, the calling goroutine's lines, described for
// a crash report; "" if there are none.
func (u *userFrames) take() string {
	u.mu.Lock()
	if len(u.byG) == 0 {
		u.mu.Unlock()
		return ""
	}
	id := goroutineID()
	lines := u.byG[id]
	delete(u.byG, id)
	u.mu.Unlock()
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("in your code (innermost first):")
	for _, l := range lines {
		b.WriteString("\n    " + frameText(l))
	}
	return b.String()
}

// takeFuncs returns, and forgets, the calling goroutine's lines that name
// a function (not a function literal nor the input's statements), each
// once in a row: what an exception at the prompt shows.
func (u *userFrames) takeFuncs() []string {
	u.mu.Lock()
	if len(u.byG) == 0 {
		u.mu.Unlock()
		return nil
	}
	id := goroutineID()
	lines := u.byG[id]
	delete(u.byG, id)
	u.mu.Unlock()
	var out []string
	for _, l := range lines {
		fn, where, ok := frameParts(l)
		if !ok || fn == "a function literal" {
			continue
		}
		t := fn
		if where != "" {
			t += " (" + where + ")"
		}
		if len(out) == 0 || out[len(out)-1] != t {
			out = append(out, t)
		}
	}
	return out
}

// yaegiFrame is a line yaegi writes for an interpreted frame a panic
// unwinds: [file:]line:col: panic: fn(...).
var yaegiFrame = regexp.MustCompile(`^(?:(\S+):)?(\d+):\d+: panic(?:: (\S+?)(?:\(\.\.\.\))?)?$`)

// funcLitName is how yaegi names a function literal's frame.
var funcLitName = regexp.MustCompile(`^func(?:\.func\d*)*$`)

// frameText describes a yaegi frame line: "rec.At at /src/rec.go:7", or
// for code typed at the prompt "f at line 1 of the input". Columns are
// left out: the rewrites move them, not lines.
func frameText(line string) string {
	fn, where, ok := frameParts(line)
	if !ok {
		return line
	}
	if where == "" {
		return fn
	}
	return fn + " at " + where
}

// frameParts splits a yaegi frame line into the function ("" for a
// function literal or the input's statements) and where it is: "" for a
// function of the standard library compiled from source (slices.Max),
// whose lines are in no file the user has.
func frameParts(line string) (fn, where string, ok bool) {
	m := yaegiFrame.FindStringSubmatch(line)
	if m == nil {
		return "", "", false
	}
	if pkg, _, found := strings.Cut(m[3], "."); found && m[1] == "" && (pkg == "slices" || pkg == "maps" || pkg == "cmp") {
		return m[3], "", true
	}
	fn = strings.TrimPrefix(m[3], "main.")
	if fn == "" || fn == "main" || fn == "_" || funcLitName.MatchString(fn) {
		fn = "a function literal"
	}
	if m[1] == "" {
		return fn, fmt.Sprintf("line %s of the input", m[2]), true
	}
	// A module's files are loaded as src/<module>/<file>.
	return fn, fmt.Sprintf("%s:%s", strings.TrimPrefix(m[1], "src/"), m[2]), true
}

// goroutineID is the calling goroutine's number, from its stack's header
// ("goroutine 18 [running]:"). Only called while a panic unwinds.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		id, _ := strconv.ParseUint(string(b[:i]), 10, 64)
		return id
	}
	return 0
}

// PanicTraceFilter is NewPanicTraceFilter for an interpreter of e's: the
// lines it drops go to the crash report of the process that panicked.
func (e *Env) PanicTraceFilter(w io.Writer) io.Writer {
	return &panicTraceFilter{w: w, record: e.frames.add}
}
