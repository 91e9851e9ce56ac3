package eval

import "testing"

func TestRewriteTopBlanks(t *testing.T) {
	checkRewrite(t, RewriteTopBlanksMap, []struct{ in, want string }{
		{`_ = make([]byte, 3)`, `__gerl_sink = make([]byte, 3)`},
		{`_, c = f(), 5`, `__gerl_sink, c = f(), 5`},
		{`_, _ = h()`, `__gerl_sink, __gerl_sink = h()`},
		{`for i := 0; i < 2; i++ { _ = i }`, `for i := 0; i < 2; i++ { __gerl_sink = i }`},
		{`switch { case true: _ = 1 }`, `switch { case true: __gerl_sink = 1 }`},
		{`select { case _ = <-ch: }`, `select { case __gerl_sink = <-ch: }`},
		{`for _, k = range xs {}`, `for __gerl_sink, k = range xs {}`},
		{"if x {\n\t_ = 1\n}", "if x {\n\t__gerl_sink = 1\n}"},
		// left alone: declarations, and functions' own blanks
		{`_, ref := spawn_monitor(f)`, `_, ref := spawn_monitor(f)`},
		{`var _ = 3`, `var _ = 3`},
		{`for _, x := range xs { _ = x }`, `for _, x := range xs { __gerl_sink = x }`},
		{`f := func() { _ = 1 }`, `f := func() { _ = 1 }`},
		{`func g() { _ = 1 }`, `func g() { _ = 1 }`},
		{`x[_] = 1`, `x[_] = 1`},
	})
}
