package cluster

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// A Code goes through the codec as it was, with or without the module
// literal it was made from; a code term of any other shape is refused.
func TestCodeTerms(t *testing.T) {
	c := NewCodec()
	p := term.Pid{Node: "a@h", ID: 1, Creation: 2}
	prompt := &Code{Imports: []string{`"strings"`}, Decls: "type T int", Func: "func() { me ! k }",
		Names: []string{"me", "k"}, Types: []string{"Pid", "int"}, Values: []any{p, 7}, Modules: []string{}}
	module := &Code{Imports: []string{}, Func: "func() { me ! k }", Names: []string{"me"}, Types: []string{"Pid"}, Values: []any{p},
		Modules: []string{"worker"}, Made: &Made{Module: "worker", Version: "ab12", Index: 3}}
	for _, code := range []*Code{prompt, module} {
		b, err := c.AppendTerm(nil, Fun{Code: code}.funTerm())
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.DecodeTerm(b)
		if err != nil {
			t.Fatal(err)
		}
		f, err := funOf(v)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f.Code, code) {
			t.Errorf("through the codec:\n got %#v\nwant %#v", f.Code, code)
		}
	}
	base := prompt.term()
	with := func(made any) term.Tuple { return append(append(term.Tuple{}, base...), made) }
	for _, tc := range []struct {
		name string
		t    term.Tuple
		want string
	}{
		{"too short", base[:7], "a code term is"},
		{"too long", append(with(term.Tuple{"m", "v", 1}), 1), "a code term is"},
		{"made is not a tuple", with("m"), "not {Module, Version, Index}"},
		{"made too short", with(term.Tuple{"m", "v"}), "not {Module, Version, Index}"},
		{"no module", with(term.Tuple{"", "v", 1}), "not {Module, Version, Index}"},
		{"negative index", with(term.Tuple{"m", "v", -1}), "not {Module, Version, Index}"},
		{"index not an integer", with(term.Tuple{"m", "v", "1"}), "not {Module, Version, Index}"},
		{"version not a string", with(term.Tuple{"m", 2, 1}), "not {Module, Version, Index}"},
	} {
		if _, err := codeOf(tc.t); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
