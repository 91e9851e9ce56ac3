package shell

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"github.com/mattn/go-isatty"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/internal/detach"
)

// Stdio is where the shell reads and writes.
type Stdio struct {
	In       *os.File
	Out, Err *os.File
}

// Run runs gerl with the command line args and returns the exit status:
// 0 on a clean stop, 1 when the node cannot start or a piped input
// failed, 2 for a bad command line.
func Run(args []string, io Stdio) int {
	opts, err := ParseArgs(args, io.Err)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	}
	if opts.Version {
		fmt.Fprintf(io.Out, "gerl %s (Go %s)\n", Version, goVersion())
		return 0
	}
	if opts.Detached {
		return runDetached(args, io)
	}
	interactive := !opts.NoShell && isatty.IsTerminal(io.In.Fd())
	sink := &logSink{}
	sink.set(newPrinter(io.Err, io.Err, opts.Color == "always" || (interactive && colorsOn(opts.Color, io.Err))))
	logger := slog.New(&reportHandler{sink: sink, level: slog.LevelWarn, stack: !interactive})
	exe, err := os.Executable()
	if err != nil {
		exe = "gerl"
	}
	started := detach.FromEnv(detachReadyEnv) // nil unless gerl -detached started this node
	sys, err := startSystem(opts, logger, exe, io.Out, io.Err)
	if err != nil {
		fmt.Fprintf(io.Err, "gerl: %v\n", err)
		started.Report("error " + err.Error())
		return 1
	}
	defer sys.Stop()
	started.Report("ok")
	switch {
	case opts.Remsh != "":
		return runRemsh(sys, opts, io, sink)
	case opts.NoShell:
		return runNoShell(sys, opts, io)
	case interactive:
		return runInteractive(sys, opts, io, sink)
	default:
		return runPiped(sys, opts, io)
	}
}

// logSink lets the runtime's reports go to the terminal's printer once it
// exists, and to stderr before.
type logSink struct{ p atomic.Pointer[printer] }

func (s *logSink) set(p *printer) { s.p.Store(p) }
func (s *logSink) get() *printer  { return s.p.Load() }

// runEvals evaluates the -eval inputs; it reports whether all succeeded.
func runEvals(sess *eval.Session, opts Options, pr *printer) bool {
	ok := true
	for _, src := range opts.Eval {
		o, err := sess.Eval(src)
		if err != nil {
			pr.failure(o, err)
			ok = false
		}
	}
	return ok
}

func runInteractive(sys *system, opts Options, io Stdio, sink *logSink) int {
	var sess *eval.Session
	hist := ""
	if home, err := os.UserHomeDir(); err == nil {
		hist = filepath.Join(home, ".gerl_history")
	}
	t, err := newTerminal(terminalConfig{
		stdin: io.In, stdout: io.Out, historyFile: hist, colors: colorsOn(opts.Color, io.Out),
		completer: completer{complete: func(line string, pos int) ([]string, string) {
			if sess == nil {
				return nil, ""
			}
			return sess.Complete(line, pos)
		}},
	})
	if err != nil {
		fmt.Fprintf(io.Err, "gerl: %v\n", err)
		return 1
	}
	defer t.close()
	sink.set(t.pr)
	sys.out.set(t.pr.out)
	sys.errOut.set(t.pr.err)
	sess, err = eval.NewSession(eval.SessionConfig{
		Env: sys.env, Stdout: t.pr.out, Stderr: t.pr.err, Messages: messageWriter{t.pr},
		OnQuit: func(bool) { t.quit.Store(true) },
	})
	if err != nil {
		fmt.Fprintf(io.Err, "gerl: %v\n", err)
		return 1
	}
	defer sess.Close()
	t.ev = sess
	if sys.dist != nil {
		t.nodeName = string(sys.node.Name())
	}
	fmt.Fprintln(t.pr.out, banner(Version, t.nodeName))
	runEvals(sess, opts, t.pr)
	go func() {
		select {
		case <-sys.halt:
			t.quit.Store(true)
			t.close() // ends a ReadLine in progress
		case <-sys.stopped:
		}
	}()
	if !t.quit.Load() {
		t.run(sys.halt)
	}
	return 0
}

func runNoShell(sys *system, opts Options, io Stdio) int {
	pr := newPrinter(io.Out, io.Err, opts.Color == "always")
	sess, err := eval.NewSession(eval.SessionConfig{
		Env: sys.env, Stdout: io.Out, Stderr: io.Err,
		OnQuit: func(bool) { sys.Halt() },
	})
	if err != nil {
		fmt.Fprintf(io.Err, "gerl: %v\n", err)
		return 1
	}
	defer sess.Close()
	ok := runEvals(sess, opts, pr)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case <-sys.halt:
	case <-sigs:
	}
	if !ok { // an -eval failed
		return 1
	}
	return 0
}

// runPiped evaluates inputs read from a pipe or file: no prompt, no
// escape codes, results on stdout, errors on stderr, and a non-zero exit
// status if any input failed.
func runPiped(sys *system, opts Options, stdio Stdio) int {
	color := opts.Color == "always"
	pr := newPrinter(stdio.Out, stdio.Err, color)
	quit := atomic.Bool{}
	sess, err := eval.NewSession(eval.SessionConfig{
		Env: sys.env, Stdout: stdio.Out, Stderr: stdio.Err, Messages: messageWriter{pr},
		OnQuit: func(bool) { quit.Store(true) },
	})
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: %v\n", err)
		return 1
	}
	defer sess.Close()
	failed := !runEvals(sess, opts, pr)
	// Inputs are read on their own goroutine so that halt() from elsewhere
	// (a remote shell, an rpc of gerl.halt) stops the node at once, even
	// while this one waits for input.
	type input struct {
		src string
		err error
	}
	inputs := make(chan input)
	readerDone := make(chan struct{})
	defer close(readerDone)
	go func() {
		in := newInputReader(stdio.In)
		for {
			src, err := in.next()
			select {
			case inputs <- input{src, err}:
			case <-readerDone:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for !quit.Load() {
		var in input
		select {
		case <-sys.halt:
			quit.Store(true)
			continue
		case in = <-inputs:
		}
		if in.src != "" {
			o, evalErr := sess.Eval(in.src)
			if evalErr != nil {
				pr.failure(o, evalErr)
				failed = true
			} else {
				pr.values(o)
			}
		}
		if in.err == io.EOF {
			break
		}
		if in.err != nil {
			fmt.Fprintf(stdio.Err, "gerl: read input: %v\n", in.err)
			failed = true
			break
		}
	}
	if failed {
		return 1
	}
	return 0
}
