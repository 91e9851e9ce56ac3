package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"

	"github.com/ergochat/readline"

	"github.com/gerl-dev/gerl/eval"
)

// evaluator is what a prompt evaluates its inputs with: a local session,
// or a remote shell's session on another node. Cancelling the context
// interrupts the input (Ctrl-C).
type evaluator interface {
	EvalContext(ctx context.Context, src string) (eval.Outcome, error)
	Count() int
}

// terminal is the interactive prompt: line editing, history, completion,
// and output from processes that does not garble the line being edited.
type terminal struct {
	rl       *readline.Instance
	pr       *printer
	ev       evaluator
	nodeName string // in the prompt, "" for a node without distribution
	quit     atomic.Bool
	// interrupts carries SIGINT: outside ReadLine the terminal is not
	// raw, so Ctrl-C is a signal, which interrupts the input being
	// evaluated (and never ends gerl).
	interrupts chan os.Signal
}

// terminalConfig says how to build a terminal.
type terminalConfig struct {
	stdin       io.Reader
	stdout      io.Writer
	historyFile string // "" keeps no history
	completer   readline.AutoCompleter
	colors      bool
}

func newTerminal(cfg terminalConfig) (*terminal, error) {
	rl, err := readline.NewFromConfig(&readline.Config{
		Stdin:                  cfg.stdin,
		Stdout:                 cfg.stdout,
		Stderr:                 cfg.stdout,
		HistoryFile:            cfg.historyFile,
		HistoryLimit:           2000,
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		AutoComplete:           cfg.completer,
		InterruptPrompt:        "^C",
		EOFPrompt:              "\n",
	})
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	t := &terminal{rl: rl, interrupts: make(chan os.Signal, 1)}
	t.pr = newPrinter(rl.Stdout(), rl.Stderr(), cfg.colors)
	return t, nil
}

// prompt is (foo@vm)N> for a distributed node and N> otherwise; a
// continuation line gets dots of the same width.
func (t *terminal) prompt(n int, continued bool) string {
	p := fmt.Sprintf("%d> ", n)
	if t.nodeName != "" {
		p = fmt.Sprintf("(%s)%d> ", t.nodeName, n)
	}
	if continued {
		p = fmt.Sprintf("%*s ", len(p)-1, "..")
	}
	return t.pr.prompt.Sprint(p)
}

// run reads and evaluates inputs until q(), halt(), Ctrl-D on an empty
// line, or done is closed (the node was halted from elsewhere).
func (t *terminal) run(done <-chan struct{}) {
	signal.Notify(t.interrupts, os.Interrupt)
	defer signal.Stop(t.interrupts)
	var buf string
	for !t.quit.Load() {
		select {
		case <-done:
			return
		default:
		}
		t.rl.SetPrompt(t.prompt(t.ev.Count()+1, buf != ""))
		line, err := t.rl.ReadLine()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C at the prompt drops the partial input; it never quits.
			buf = ""
			continue
		case errors.Is(err, io.EOF):
			if buf == "" {
				return
			}
			buf = "" // Ctrl-D in a partial input drops it
			continue
		case err != nil:
			t.pr.noticef("terminal: %v", err)
			return
		}
		buf += line + "\n"
		if eval.Incomplete(buf) {
			continue
		}
		src := buf
		buf = ""
		if isBlank(src) {
			continue
		}
		if entry := historyEntry(src); entry != "" {
			_ = t.rl.SaveToHistory(entry)
		}
		t.eval(src)
	}
}

// eval evaluates one input, with a context that Ctrl-C cancels. A Ctrl-C
// pressed after Enter but before the evaluation started is for this
// input; those pressed while it ended are dropped with it.
func (t *terminal) eval(src string) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-t.interrupts:
			cancel()
		case <-ctx.Done():
		}
	}()
	o, err := t.ev.EvalContext(ctx, src)
	cancel()
drain:
	for {
		select {
		case <-t.interrupts:
		default:
			break drain
		}
	}
	if err != nil {
		t.pr.failure(o, err)
	} else {
		t.pr.values(o)
	}
}

func (t *terminal) close() { _ = t.rl.Close() }

func isBlank(s string) bool {
	for _, c := range s {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
