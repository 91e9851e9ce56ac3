package eval

import (
	"bytes"
	"io"
	"regexp"
	"sync"
)

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
	mu  sync.Mutex
	w   io.Writer
	buf []byte
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
		if !panicTrace.Match(bytes.TrimRight(line, "\n")) {
			if _, err := f.w.Write(line); err != nil {
				return len(p), err
			}
		}
		f.buf = f.buf[i+1:]
	}
	return len(p), nil
}
