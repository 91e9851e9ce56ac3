package node

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

var errNoLuck = errors.New("no luck")

// TestApplyShapesResults: the one implementation of running a function in
// a process of its own answers as Erlang's rpc:call: ok for no results,
// the value for one, a tuple for several; a trailing error is not part of
// the value and fails the call when it is not nil; a panic, an exit and an
// unsendable result fail it with an error that says which.
func TestApplyShapesResults(t *testing.T) {
	n, _ := newTestNode(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		fn   any
		args []any
		want any   // the value, when wantErr is nil
		err  error // matched with errors.Is
		text string
	}{
		{name: "no results", fn: func() {}, want: term.OK},
		{name: "no results but a nil error", fn: func() error { return nil }, want: term.OK},
		{name: "one", fn: func(a, b int) int { return a + b }, args: []any{2, 3}, want: 5},
		{name: "one and a nil error", fn: func() (string, error) { return "x", nil }, want: "x"},
		{name: "several", fn: func(a, b int) (int, int) { return a / b, a % b }, args: []any{7, 2}, want: term.T(3, 1)},
		{name: "variadic", fn: func(xs ...int) int { return len(xs) }, args: []any{1, 2, 3}, want: 3},
		{name: "proc first", fn: func(p *Proc) bool { return p.Alive() }, want: true},
		{name: "error", fn: func() (int, error) { return 0, errNoLuck }, err: ErrFuncFailed, text: "no luck"},
		{name: "the function's own error", fn: func() error { return errNoLuck }, err: errNoLuck, text: "no luck"},
		{name: "panic", fn: func() { panic("kaboom") }, err: ErrFuncPanicked, text: `panic: "kaboom"`},
		{name: "exit", fn: func(p *Proc) int { p.ExitSelf(term.A("gone")); return 0 }, err: ErrFuncExited, text: "its process exited: gone"},
		{name: "unsendable result", fn: func() chan int { return make(chan int) }, err: term.ErrUnsendable, text: "cannot send chan int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := n.Apply(ctx, SpawnOptions{}, tc.fn, tc.args...)
			if tc.err == nil {
				if err != nil || !equalTerms(v, tc.want) {
					t.Fatalf("got %s, %v; want %s", term.Format(v), err, term.Format(tc.want))
				}
				return
			}
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %s, %v; want an error matching %v that says %q", term.Format(v), err, tc.err, tc.text)
			}
		})
	}
}

// TestApplyArgumentsAndCancel: arguments that do not fit are an error and
// start no process; a cancelled wait returns ctx's error at once and the
// function's later outcome goes nowhere.
func TestApplyArgumentsAndCancel(t *testing.T) {
	n, _ := newTestNode(t)
	before := n.ProcessCount()
	// The errors name the function's own type and no operation but the
	// call's (an rpc's error once said "spawn:", and named the type of
	// the wrapper that drops the results).
	for _, tc := range []struct {
		fn   any
		args []any
		want string
	}{
		{func(int) {}, []any{"x"}, `argument 1: cannot use "x" (string) as int`},
		{func(string) string { return "" }, nil, "func(string) string wants 1 argument, got 0"},
		{func(*Proc, ...int) error { return nil }, []any{1, 2.5}, "argument 2: 2.5 does not fit in int"},
	} {
		_, err := n.Apply(context.Background(), SpawnOptions{}, tc.fn, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Apply(%T, %v): %v; want %q", tc.fn, tc.args, err, tc.want)
		}
	}
	if _, err := n.Apply(context.Background(), SpawnOptions{}, 42); err == nil || !strings.Contains(err.Error(), "not a function") {
		t.Fatalf("not a function: %v", err)
	}
	if c := n.ProcessCount(); c != before {
		t.Fatalf("%d processes started by failed calls", c-before)
	}
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	started := make(chan struct{})
	go func() { <-started; cancel() }()
	_, err := n.Apply(ctx, SpawnOptions{Func: "waiter"}, func() int { close(started); <-release; return 1 })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	close(release)
}

func equalTerms(a, b any) bool { return term.Format(a) == term.Format(b) }
