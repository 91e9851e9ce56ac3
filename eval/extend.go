package eval

import (
	"fmt"
	"path"
	"reflect"

	yaegi "github.com/traefik/yaegi/interp"
)

// Other packages extend every session of an Env while it runs: hot
// loading adds its built-ins (c, l, nl) and a package per loaded module
// (Env.AddBuiltin, Env.AddPackage). The interpreter may be running an
// input then, and yaegi's interpreter is not safe for concurrent use, so
// such a change is queued and applied between inputs (later).

// useBuiltins adds built-ins from other packages (hot loading's c, l, nl)
// to a running session: in a package of their own, dot-imported (a dot
// import sees only the names present when it is evaluated), and in the
// shell package for shellAlias.
func (s *Session) useBuiltins(b map[string]Builtin) {
	if len(b) == 0 {
		return
	}
	syms := make(map[string]reflect.Value, len(b))
	s.mu.Lock()
	for name, bi := range b {
		syms[name] = reflect.ValueOf(bi.Fn)
		s.docs[name] = bi.Doc
	}
	s.mu.Unlock()
	s.later(func() {
		s.extensions++
		pkg := fmt.Sprintf("%s/ext%d", shellPath, s.extensions)
		if s.yi.Use(yaegi.Exports{pkg + "/" + path.Base(pkg): syms}) == nil {
			_, _ = s.evalSafe(`import . "` + pkg + `"`)
		}
		_ = s.yi.Use(yaegi.Exports{shellPath + "/shell": syms})
	})
}

// usePackage makes a native package importable and imports it.
func (s *Session) usePackage(pkg string, exports yaegi.Exports) {
	s.later(func() {
		if err := s.yi.Use(exports); err != nil {
			return
		}
		_, _ = s.evalSafe(fmt.Sprintf("import %q", pkg))
	})
}

// later applies a change other packages make to the session (a package,
// built-ins): at once if the session is between inputs, else before its
// next input, on the goroutine evaluating it. It never waits:
// it is called from other goroutines, and from an input's own evaluation
// (c("counter") at the prompt adds package counter).
func (s *Session) later(f func()) {
	s.mu.Lock()
	s.pending = append(s.pending, f)
	s.mu.Unlock()
	if s.evalMu.TryLock() {
		s.applyPending()
		s.evalMu.Unlock()
	}
}

// applyPending applies the changes later queued. The caller holds evalMu
// (or evaluates the input that holds it).
func (s *Session) applyPending() {
	s.mu.Lock()
	todo := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, f := range todo {
		f()
	}
}
