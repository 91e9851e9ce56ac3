package eval

import "testing"

func TestRewriteSelectAssigns(t *testing.T) {
	checkRewrite(t, RewriteSelectAssignsMap, []struct{ in, want string }{
		{`select { case v = <-ch: f(v) }`, `select { case __gerl_sv14 := <-ch: v = __gerl_sv14; f(v) }`},
		{`select { case v, ok = <-ch: }`, `select { case __gerl_sv14, __gerl_sk14 := <-ch: v, ok = __gerl_sv14, __gerl_sk14; }`},
		{`select { case _, ok = <-ch: }`, `select { case _, __gerl_sk14 := <-ch: ok = __gerl_sk14; }`},
		{`select { case _ = <-ch: }`, `select { case  <-ch: }`},
		{"package m\nfunc F(ch chan int) (v int) { select { case v = <-ch: }; return }", "package m\nfunc F(ch chan int) (v int) { select { case __gerl_sv54 := <-ch: v = __gerl_sv54; }; return }"},
		// left alone: declarations, plain receives, sends
		{`select { case v, ok := <-ch: _, _ = v, ok }`, `select { case v, ok := <-ch: _, _ = v, ok }`},
		{`select { case <-ch: case ch <- 1: }`, `select { case <-ch: case ch <- 1: }`},
	})
}

func TestRewriteTopStatements(t *testing.T) {
	checkRewrite(t, RewriteTopStatementsMap, []struct{ in, want string }{
		{`select { case v, ok := <-ch: f(v, ok) }`, `{ func() { select { case v, ok := <-ch: f(v, ok) } }() }`},
		{`for { select { case v, ok := <-ch: if !ok { break } } }`, `{ func() { for { select { case v, ok := <-ch: if !ok { break } } } }() }`},
		{`L: for { select { case _, ok := <-ch: if !ok { break L } } }`, `{ func() { L: for { select { case _, ok := <-ch: if !ok { break L } } } }() }`},
		{`switch m := x.(type) { case int: f(m) }`, `{ func() { switch m := x.(type) { case int: f(m) } }() }`},
		{`for i := 0; i < 2; i++ { switch v := receive().(type) { case Tuple: f(v) } }`, `{ func() { for i := 0; i < 2; i++ { switch v := receive().(type) { case Tuple: f(v) } } }() }`},
		// left alone: one value, a type switch that binds nothing, inside
		// functions, with a goto
		{`switch x.(type) { case int: f() }`, `switch x.(type) { case int: f() }`},
		{`f := func() { switch m := x.(type) { case int: g(m) } }`, `f := func() { switch m := x.(type) { case int: g(m) } }`},
		{`select { case v := <-ch: f(v) }`, `select { case v := <-ch: f(v) }`},
		{`f := func() { select { case v, ok := <-ch: g(v, ok) } }`, `f := func() { select { case v, ok := <-ch: g(v, ok) } }`},
		{"L:\nfor { select { case _, ok := <-ch: if ok { goto L } } }", "L:\nfor { select { case _, ok := <-ch: if ok { goto L } } }"},
	})
}
