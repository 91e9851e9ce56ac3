package eval

import (
	"slices"
	"strings"
	"testing"
)

// ModuleLiterals lists the literals whose closures may leave their
// function, with what they capture; the others are not tagged.
func TestModuleLiterals(t *testing.T) {
	std := func(pkg string) bool { return pkg == "sort" || pkg == "strings" }
	for _, tc := range []struct {
		name, body string
		want       []string // the literals listed: their captures, joined by ","
	}{
		{"returned", `return func() int { return k }`, []string{"k"}},
		{"called where it stands", `func() { _ = k }()`, nil},
		{"go and defer", `go func() { _ = k }(); defer func() {}()`, nil},
		{"only called", `f := func() int { return k }; _ = f() + f()`, nil},
		{"called, then given away", `f := func() int { return k }; f(); spawn(f)`, []string{"k"}},
		{"reassigned", `f := func() {}; f = nil; f()`, []string{""}},
		{"another f", `f := func() {}; f(); { f := 1; _ = f }`, []string{""}},
		{"to the standard library", `sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] + k })`, nil},
		{"to another package", `other.Do(func() { _ = k })`, []string{"k"}},
		{"to a built-in", `spawn(func() { _ = k })`, []string{"k"}},
		{"nested in one that stays", `f := func() { spawn(func() { _ = k }) }; f()`, []string{"k"}},
		{"captures in order", `return func() int { return xs[k] + len(s) }`, []string{"xs,k,s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package m\n\nfunc F(k int, xs []int, s string) any {\n\t" + tc.body + "\n\treturn nil\n}\n"
			lits, err := ModuleLiterals(src, std)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lits {
				got = append(got, strings.Join(l.Captures, ","))
				if !strings.HasPrefix(src[l.Start:l.End], "func(") || !strings.HasSuffix(src[l.Start:l.End], "}") {
					t.Errorf("literal at %d:%d is %q", l.Start, l.End, src[l.Start:l.End])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s\n got %q\nwant %q", tc.body, got, tc.want)
			}
		})
	}
}
