package hotload

import (
	"errors"
	"strings"
	"testing"
)

// A broken edit is reported with file:line:col and changes nothing: the
// running version keeps serving.
func TestBrokenEditKeepsOldCode(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterSrc("v1", 1))
	h.load("counter")
	pid, _ := h.spawn("counter.Loop", 0)
	h.request(pid, "inc")

	broken := strings.Replace(counterSrc("v2", 1), "return handle(req, n)", "return handle(req, \"n\")", 1)
	broken = strings.Replace(broken, `func Version() string { return "v2" }`, "func Version() string {\n\tx := 1\n\treturn undefinedThing\n}", 1)
	h.write("counter.go", broken)
	_, err := h.srv.Reload("counter")
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, ErrType) {
		t.Fatalf("reload of a broken edit: %v, want a type error", err)
	}
	want := []string{
		`counter.go:32:63: cannot use "n" (untyped string constant) as int value in argument to handle`,
		`counter.go:47:2: declared and not used: x`,
		`counter.go:48:9: undefined: undefinedThing`,
	}
	if got := le.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := h.request(pid, "version"); got != "v1" {
		t.Fatalf("after a failed reload the server answers %v", got)
	}
	if info, _ := h.srv.Module("counter"); info.Version != 1 || info.OldVersion != 0 {
		t.Fatalf("a failed reload changed the versions: %+v", info)
	}

	h.write("counter.go", "package counter\n\nfunc Version() string {\n\treturn (\n}\n")
	_, err = h.srv.Reload("counter")
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "counter.go:5:1: expected operand, found '}'") {
		t.Fatalf("syntax error: %v", err)
	}
	if got := h.call("counter.Version"); got != "v1" {
		t.Fatalf("Version() after failed reloads = %v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		what  string
		files map[string]string
		kind  error
		text  string
	}{
		{"nosuch", nil, ErrNotFound, "load nosuch: module not found: nosuch is not on the code path"},
		{"dir/missing.go", nil, ErrNotFound, "missing.go: no such file or directory"},
		{"fmt", nil, ErrBadName, "reserved"},
		{"gerl", nil, ErrBadName, "reserved"},
		{"two-words.go", map[string]string{"two-words.go": "package x\n"}, ErrBadName, "identifier"},
		{"pkg", map[string]string{"pkg.go": "package other\n"}, ErrPackageName, "pkg.go:1:9: package other, but the module is pkg"},
		{"multi", map[string]string{"multi/a.go": "package multi\n", "multi/b.go": "package nope\n"}, ErrPackageName, "multi/b.go:1:9: package nope"},
		{"syn", map[string]string{"syn.go": "package syn\n\nfunc F( {\n"}, ErrSyntax, "syn.go:3:9:"},
		{"imp", map[string]string{"imp.go": "package imp\n\nimport \"nosuchpkg\"\n\nvar _ = nosuchpkg.X\n"}, ErrImport, `imp.go:3:8: import "nosuchpkg": not a standard package`},
		{"selfimp", map[string]string{"selfimp.go": "package selfimp\n\nimport \"selfimp\"\n\nvar _ = selfimp.X\n"}, ErrImport, "cannot import itself"},
		{"typ", map[string]string{"typ.go": "package typ\n\nfunc F() int { return \"x\" }\n"}, ErrType, `typ.go:3:23: cannot use "x"`},
		{"unexp", map[string]string{"unexp.go": "package unexp\n\nfunc F() { unexp.g() }\nfunc g() {}\n"}, ErrType, "unexp.go:3:12: unexp.g: g is not exported"},
		{"boom", map[string]string{"boom.go": "package boom\n\nvar x = f()\n\nfunc f() int { panic(\"boom\") }\n"}, ErrInit, "initialization panicked: boom"},
		{"initboom", map[string]string{"initboom.go": "package initboom\n\nfunc init() { var m map[string]int; m[\"x\"] = 1 }\n"}, ErrInit, "initialization panicked"},
	} {
		for f, text := range tc.files {
			h.write(f, text)
		}
		_, err := h.srv.Load(tc.what)
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.kind)
			continue
		}
		if !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: %q does not say %q", tc.what, err, tc.text)
		}
		for _, other := range []error{ErrNotFound, ErrBadName, ErrSyntax, ErrPackageName, ErrImport, ErrType, ErrInit} {
			if other != tc.kind && errors.Is(err, other) {
				t.Errorf("%s: %v also matches %v", tc.what, err, other)
			}
		}
	}
	if mods := h.srv.Modules(); len(mods) != 0 {
		t.Fatalf("failed loads left modules: %+v", mods)
	}
}
