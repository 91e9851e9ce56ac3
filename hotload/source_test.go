package hotload

import (
	"errors"
	"strings"
	"testing"
)

func parseTest(t *testing.T, files map[string]string) (*parsed, error) {
	t.Helper()
	src := &source{name: "counter", files: files, hash: hashFiles(files)}
	return parseModule(src, func(f string) string { return f })
}

func TestSelfReferenceRewrite(t *testing.T) {
	orig := `package counter

import "gerl"

type State struct{ N int }

const Step = 1

var start = counter.Start()   // initializer: local
var handler = func(s counter.State) counter.State { return counter.Next(s) }

func Start() counter.State { return counter.State{N: counter.Step} }

func Next(s State) State { s.N += Step; return s }

func Loop(p *gerl.Proc, s State) {
	p.Receive()
	counter.Loop(p, counter.Next(s))
}

func Map[T any](x T) T { return x }

func UseGeneric() int { return counter.Map(1) }
`
	p, err := parseTest(t, map[string]string{"counter.go": orig})
	if err != nil {
		t.Fatal(err)
	}
	got := p.texts["counter.go"]
	if len(strings.Split(got, "\n")) < len(strings.Split(orig, "\n")) {
		t.Fatalf("rewritten text lost lines:\n%s", got)
	}
	for i, line := range strings.Split(orig, "\n") {
		if g := strings.Split(got, "\n")[i]; len(g) != len(line) {
			t.Fatalf("line %d changed length:\n%s\n%s", i+1, line, g)
		}
	}
	for _, want := range []string{
		"var start =         Start()",
		"var handler = func(s         State)         State { return Counter_Next(s) }",
		"func Start()         State { return         State{N:         Step} }",
		"	Counter_Loop(p, Counter_Next(s))",
		"func UseGeneric() int { return         Map(1) }",
		"var Counter_Loop func(p *gerl.Proc, s State)",
		"var Counter_Next func(s State) State",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rewritten source lacks %q:\n%s", want, got)
		}
	}
	if init := p.texts[selfFile]; init != "package counter\n\nfunc init() {\n\tCounter_Loop = Loop\n\tCounter_Next = Next\n}\n" {
		t.Errorf("generated file:\n%s", init)
	}
	if len(p.selfFuncs) != 2 {
		t.Errorf("self functions %v", p.selfFuncs)
	}
	if msg := p.fixMessage("too many arguments in call to Counter_Loop"); msg != "too many arguments in call to counter.Loop" {
		t.Errorf("fixMessage: %s", msg)
	}
}

func TestSelfReferenceLeftAlone(t *testing.T) {
	for name, text := range map[string]string{
		"imported":  "package counter\n\nimport counter \"strings\"\n\nfunc F() string { return counter.ToUpper(\"x\") }\n",
		"declared":  "package counter\n\nvar counter = struct{ X int }{}\n\nfunc F() int { return counter.X }\n",
		"shadowed":  "package counter\n\nfunc F() int { counter := struct{ X int }{}; return counter.X }\n",
		"otherfile": "package counter\n\nfunc F() int { return 1 }\n",
	} {
		p, err := parseTest(t, map[string]string{"counter.go": text})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.texts["counter.go"] != text || len(p.selfFuncs) != 0 {
			t.Errorf("%s: rewritten:\n%s", name, p.texts["counter.go"])
		}
	}
}

func TestSelfReferenceProblems(t *testing.T) {
	_, err := parseTest(t, map[string]string{"counter.go": "package counter\n\nfunc F() { counter.F() }\n\nvar Counter_F = 1\n"})
	if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "Counter_F is taken") {
		t.Fatalf("collision: %v", err)
	}
	_, err = parseTest(t, map[string]string{"a.go": "package counter\n", "b.go": "package other\n"})
	if !errors.Is(err, ErrPackageName) || !strings.Contains(err.Error(), "b.go:1:9") {
		t.Fatalf("package names: %v", err)
	}
	_, err = parseTest(t, map[string]string{"a.go": "package counter\n\nfunc (\n", "b.go": "package counter\n\nvar = 1\n"})
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, ErrSyntax) || len(le.Problems) < 2 || le.Problems[0].File != "a.go" || le.Problems[len(le.Problems)-1].File != "b.go" {
		t.Fatalf("syntax errors of both files, in order: %v", err)
	}
}
