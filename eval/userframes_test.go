package eval

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
)

// A process's crash report shows the user's own lines first, innermost
// first, before Go's stack.
func TestCrashReportShowsUserLinesFirst(t *testing.T) {
	logs := &testkit.Buffer{}
	env := NewEnv()
	env.Attach(node.New(node.Config{Name: "crash@host", OnGoroutine: env.OnGoroutine,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}))
	ts := newTestShellOn(t, env)
	ts.eval(`func inner(xs []int) int { return xs[3] }`)
	ts.eval("func outer() int {\n\treturn inner(nil) + 1\n}")
	got := ts.eval(`_, ref := spawn_monitor(func() { outer() }); receive(10000).(Down).Reason`)
	if want := `{panic,"index 3 out of range for a slice of length 0"}`; got != want {
		t.Fatalf("reason %s, want %s", got, want)
	}
	testkit.Eventually(t, waitTime, "the crash report", func() bool { return strings.Contains(logs.String(), "process crashed") })
	report := logs.String()
	i, o, l, g := strings.Index(report, "inner at line 1 of the input"), strings.Index(report, "outer at line"),
		strings.Index(report, "a function literal at line 1 of the input"), strings.Index(report, "goroutine ")
	if i < 0 || o < 0 || l < 0 || g < 0 || !(i < o && o < l && l < g) {
		t.Errorf("the report does not show inner, outer, the spawned literal, then Go's stack:\n%s", report)
	}
}

func TestFrameText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/src/rec.go:7:70: panic: rec.At(...)", "rec.At at /src/rec.go:7"},
		{"src/rec/rec.go:7:3: panic: rec.At(...)", "rec.At at rec/rec.go:7"},
		{"1:28: panic: main.outer(...)", "outer at line 1 of the input"},
		{"3:2: panic: func.func1(...)", "a function literal at line 3 of the input"},
		{"1:1: panic", "a function literal at line 1 of the input"},
		{"363:3: panic: slices.Max(...)", "slices.Max"}, // gerl's source, not the input
		{"something else", "something else"},
	} {
		if got := frameText(c.in); got != c.want {
			t.Errorf("frameText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
