package shell

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"

	"github.com/gerl-dev/gerl/eval"
)

// printer writes what the shell shows: results, errors, notices, received
// messages and reports from the runtime, each in its color when colors are
// on. Its writers are safe for concurrent use: processes print while the
// user types, and the terminal's writers redraw the line being edited.
type printer struct {
	out, err io.Writer
	mu       sync.Mutex // one report at a time

	prompt, result, errc, notice, message, report *color.Color
}

// colorsOn decides -color auto: on for a terminal, unless NO_COLOR is set
// or TERM is dumb (fatih/color checks those too, but only for os.Stdout).
func colorsOn(mode string, f *os.File) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return f != nil && isatty.IsTerminal(f.Fd())
}

func newPrinter(out, err io.Writer, colors bool) *printer {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if colors {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return &printer{
		out: out, err: err,
		prompt:  mk(color.Bold),
		result:  mk(color.FgCyan),
		errc:    mk(color.FgRed),
		notice:  mk(color.FgYellow),
		message: mk(color.FgGreen),
		report:  mk(color.FgMagenta),
	}
}

// values prints an input's value(s), erl style.
func (p *printer) values(o eval.Outcome) {
	for _, n := range o.Notices {
		p.noticef("%s", n)
	}
	if !o.HasValue {
		return
	}
	parts := make([]string, len(o.Values))
	for i := range o.Values {
		parts[i] = o.Format(i)
	}
	fmt.Fprintln(p.out, p.result.Sprint(strings.Join(parts, ", ")))
}

// failure prints an input's error: "* 1:5: undefined: x" for a compile
// error, "** exception error: ..." for a panic, as erl does.
func (p *printer) failure(o eval.Outcome, err error) {
	for _, n := range o.Notices {
		p.noticef("%s", n)
	}
	text := err.Error()
	if ee, ok := err.(*eval.EvalError); ok && ee.Kind == eval.CompileError {
		text = "* " + text
	}
	fmt.Fprintln(p.err, p.errc.Sprint(text))
}

func (p *printer) noticef(format string, args ...any) {
	fmt.Fprintln(p.err, p.notice.Sprintf(format, args...))
}

// messageWriter colors what flush() prints (Shell got ...).
type messageWriter struct{ p *printer }

func (w messageWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(w.p.out, w.p.message.Sprint(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// reportHandler renders the runtime's log records as erl's reports:
// crash reports of processes, and warnings such as a rejected connection.
// Records below its level are dropped. Safe for concurrent use.
type reportHandler struct {
	sink  *logSink
	level slog.Level
	attrs []slog.Attr
	stack bool // include the Go stack of crashed processes
}

func (h *reportHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *reportHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *reportHandler) WithGroup(string) slog.Handler { return h }

func (h *reportHandler) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]string{}
	var order []string
	add := func(a slog.Attr) bool {
		if _, seen := attrs[a.Key]; !seen {
			order = append(order, a.Key)
		}
		attrs[a.Key] = a.Value.String()
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	when := r.Time.Format("02-Jan-2006::15:04:05")
	var b strings.Builder
	switch {
	case r.Message == "process crashed", r.Message == "goroutine crashed":
		fmt.Fprintf(&b, "=CRASH REPORT==== %s ===\n", when)
		if r.Message == "process crashed" {
			fmt.Fprintf(&b, "  process %s (%s) exited: %s\n", attrs["pid"], attrs["func"], attrs["reason"])
		} else {
			of := attrs["of"]
			if of == "" {
				of = "a go statement"
			}
			fmt.Fprintf(&b, "  goroutine of %s (%s) crashed: %s\n", of, attrs["func"], attrs["reason"])
		}
		if h.stack && attrs["stack"] != "" {
			b.WriteString(indent(attrs["stack"]))
		}
	default:
		kind := "INFO"
		switch {
		case r.Level >= slog.LevelError:
			kind = "ERROR"
		case r.Level >= slog.LevelWarn:
			kind = "WARNING"
		}
		fmt.Fprintf(&b, "=%s REPORT==== %s ===\n  %s\n", kind, when, r.Message)
		for _, k := range order {
			if k == "stack" && !h.stack {
				continue
			}
			fmt.Fprintf(&b, "    %s: %s\n", k, attrs[k])
		}
	}
	p := h.sink.get()
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.err, p.report.Sprint(b.String()))
	return err
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// banner is the first line an interactive shell prints.
func banner(version, nodeName string) string {
	where := ""
	if nodeName != "" {
		where = " on " + nodeName
	}
	return fmt.Sprintf("gerl %s (Go %s)%s. Type help() for help, q() or Ctrl-D to quit.", version, goVersion(), where)
}
