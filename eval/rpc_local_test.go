package eval

import (
	"errors"
	"strings"
	"testing"
)

// TestLocalRPCShapesResultsAsTheCluster: rpc on a node without
// distribution answers as a cluster does (node.Apply is the one
// implementation): ok for a function with no results, a tuple for several,
// the trailing error as the call's error.
func TestLocalRPCShapesResultsAsTheCluster(t *testing.T) {
	ts := newTestShell(t)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ts.env.RegisterFunc("nothing", func() {}))
	must(ts.env.RegisterFunc("divmod", func(a, b int) (int, int) { return a / b, a % b }))
	must(ts.env.RegisterFunc("fail", func() (int, error) { return 0, errors.New("no luck") }))
	for _, c := range []struct{ in, want string }{
		{`rpc("sh@host", "nothing")`, "ok"},
		{`rpc("sh@host", "divmod", 7, 2)`, "{3,1}"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Errorf("%s = %s, want %s", c.in, got, c.want)
		}
	}
	if got := ts.eval(`rpc("sh@host", "fail")`); !strings.Contains(got, "no luck") {
		t.Errorf("failing function: %s", got)
	}
}
