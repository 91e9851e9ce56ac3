package eval

import "testing"

// TestRewriteErrorValues: the values made into errors that yaegi gets
// wrong go through a function returning them (rewrite_error.go); others
// are left alone.
func TestRewriteErrorValues(t *testing.T) {
	const bad = "type Bad struct{ W string }\nfunc (b Bad) Error() string { return b.W }\n"
	for _, tc := range []struct{ name, in, want string }{
		{"a declared error", `var e error = Bad{"a"}`, `var e error = func() error { return Bad{"a"} }()`},
		{"an assigned error", `var e error; e = Bad{"a"}`, `var e error; e = func() error { return Bad{"a"} }()`},
		{"a conversion", `x := error(Bad{"a"})`, `x := func() error { return Bad{"a"} }()`},
		{"a pointer", `var e error = &Bad{"a"}`, `var e error = &Bad{"a"}`},
		{"a variable", `b := Bad{"a"}; var e error = b`, `b := Bad{"a"}; var e error = b`},
		{"nil", `var e error = error(nil)`, `var e error = error(nil)`},
		{"an error already", `var e error; x := error(e)`, `var e error; x := error(e)`},
		{"not an error variable", `var s any = Bad{"a"}`, `var s any = Bad{"a"}`},
		{"a new variable", `e := Bad{"a"}`, `e := Bad{"a"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := RewriteIndexesMap(bad+tc.in, indexFunc, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != bad+tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.in, got[len(bad):], tc.want)
			}
		})
	}
}
