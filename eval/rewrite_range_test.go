package eval

import "testing"

func TestRewriteRangeAssigns(t *testing.T) {
	checkRewrite(t, RewriteRangeAssignsMap, []struct{ in, want string }{
		{`for k, v = range xs { f(k, v) }`, `for __gerl_rk4, __gerl_rv4 := range xs { k, v = __gerl_rk4, __gerl_rv4; f(k, v) }`},
		{`for k = range 3 {}`, `for __gerl_rk4 := range 3 { k = __gerl_rk4;}`},
		{`for _, v = range xs {}`, `for _, __gerl_rv4 := range xs { v = __gerl_rv4;}`},
		{`for a[i], p.x = range m {}`, `for __gerl_rk4, __gerl_rv4 := range m { a[i], p.x = __gerl_rk4, __gerl_rv4;}`},
		{`for _ = range xs {}`, `for range xs {}`},
		{`for _, _ = range xs {}`, `for range xs {}`},
		{"func f(xs []int) (k int) {\n\tfor k = range xs {\n\t}\n\treturn\n}", "func f(xs []int) (k int) {\n\tfor __gerl_rk32 := range xs { k = __gerl_rk32;\n\t}\n\treturn\n}"},
		{`for k = range xs { for k = range ys {} }`, `for __gerl_rk4 := range xs { k = __gerl_rk4; for __gerl_rk23 := range ys { k = __gerl_rk23;} }`},
		// left alone: declarations and loops without variables
		{`for k, v := range xs { f(k, v) }`, `for k, v := range xs { f(k, v) }`},
		{`for range xs {}`, `for range xs {}`},
		{`x := 1`, `x := 1`},
	})
}

func TestRewriteRanges(t *testing.T) {
	checkRewrite(t, RewriteRangesMap, []struct{ in, want string }{
		{"package m\nfunc F(n int) (k int) { for k = range n {}; return }",
			"package m\nfunc F(n int) (k int) { for __gerl_rk38, __gerl_rn34 := int(0), n; __gerl_rk38 < __gerl_rn34; __gerl_rk38++ { k = __gerl_rk38;}; return }"},
		{"package m\nfunc G(xs []int) (k int) { for k = range xs {}; return }",
			"package m\nfunc G(xs []int) (k int) { for __gerl_rk41 := range xs { k = __gerl_rk41;}; return }"},
		{"package m\nfunc H() {}", "package m\nfunc H() {}"},
	})
}

// checkRewrite runs rewrite on each case's input and compares the output
// with its want.
func checkRewrite(t *testing.T, rewrite func(string) (string, OffsetMap, error), cases []struct{ in, want string }) {
	t.Helper()
	for _, c := range cases {
		got, _, err := rewrite(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n  => %s\n want %s", c.in, got, c.want)
		}
	}
}
