package eval

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// Closures a module makes travel too, the way Erlang's funs of a module
// do: not as source, but as a reference to the module's own code. The
// module loader (package hotload) compiles, for each function literal of a
// module that can travel, a maker next to the module's functions: a
// package-level function of the literal's captured variables that returns
// the literal,
//
//	func Gerl__make_3(k int, name string) any { return func(n int) int { ... } }
//
// and tags the literal's closures as the prompt's are (rewrite_fun.go),
// with the module, the version of its source and the literal's number. A
// closure of a module then travels as that triple and copies of its
// captured variables (cluster.Made); the receiving node, which must run the
// same source of the module (nl loads it there), calls its own maker with
// the copies. The literal's calls of the module's functions, its types and
// its package-level variables are the receiving node's: a module's
// variables belong to the node that runs it, as a module function called
// there by name sees them.

// MakerPrefix starts the name of a literal's maker in a module: the maker
// of literal 3 is Gerl__make_3 (exported, so that the interpreter gives it
// out). Names with it are not the module's functions: the loader keeps
// them apart.
const MakerPrefix = "Gerl__make_"

// ModuleLit is a function literal of a module file whose closures may
// travel: where it is in the file, and the variables it captures, in the
// order a maker takes them.
type ModuleLit struct {
	Start, End int // byte offsets of the literal in the file
	Captures   []string
	// Local names the types and constants the literal uses that are
	// declared in a function around it: a maker cannot name them, so the
	// literal gets none and its closures do not travel.
	Local []string
}

// ModuleLiterals returns the literals of a module file (plain Go, after the
// send rewrite) that TagModuleClosures tags, in source order. Literals
// called where they stand, and those of go and defer statements, never
// travel and are not listed.
func ModuleLiterals(text string) ([]ModuleLit, error) {
	var out []ModuleLit
	_, _, _, err := tagClosures(text, func(string) bool { return false }, func(l funLit) int {
		out = append(out, ModuleLit{Start: l.start, End: l.start + len(l.src), Captures: l.captures, Local: l.local})
		return 0
	})
	return out, err
}

// TagModuleClosures rewrites the function literals of a module file as
// the prompt's are (rewrite_fun.go), so that the closures they make can
// travel as literals of version version of module. maker gives, for the
// literal at byte offset start that captures the variables captures, the
// number of its maker, or -1 and why it has none. Lines do not move;
// columns do on the lines rewritten. Safe for concurrent use.
func (e *Env) TagModuleClosures(module, version, text string, maker func(start int, captures []string) (int, string)) (string, error) {
	out, _, _, err := tagClosures(text, func(string) bool { return false }, func(l funLit) int {
		index, why := maker(l.start, l.captures)
		made := cluster.Made{Module: module, Version: version, Index: index}
		key := metaKey{src: l.src, caps: strings.Join(l.captures, ","), made: made}
		return e.registerMeta(key, &funMeta{lit: l, made: &made, why: why})
	})
	return out, err
}

// ModuleMakers finds the makers of a node's module closures (package
// hotload implements it). Its methods are called from many goroutines at
// once.
type ModuleMakers interface {
	// Maker returns the maker of literal index of module at version
	// (a hash of its source) and a function that makes a closure the
	// maker returned run as that version's code, or an error in gerl's
	// words saying why there is none here.
	Maker(module, version string, index int) (maker reflect.Value, wrap func(any) any, err error)
}

// SetModuleMakers tells the Env where the makers of module closures are.
// Call it once, before the node runs code from other nodes.
func (e *Env) SetModuleMakers(m ModuleMakers) {
	e.mu.Lock()
	e.makers = m
	e.mu.Unlock()
}

// moduleCode turns closure en, made by a module's literal, into the Code
// that runs it on node to.
func (e *Env) moduleCode(what string, to term.Atom, en *closureEntry) (*cluster.Code, error) {
	made := en.meta.made
	if len(en.meta.lit.local) > 0 {
		return nil, fmt.Errorf("%s: the closure made by module %s uses %s, declared in the function around it, and cannot take it to %s; "+
			"declare it at the module's top level (%w)", what, made.Module, strings.Join(en.meta.lit.local, ", "), to, ErrCannotTravel)
	}
	if made.Index < 0 {
		return nil, fmt.Errorf("%s: the closure made by module %s cannot travel to %s: %s (%w)", what, made.Module, to, en.meta.why, ErrCannotTravel)
	}
	m := *made
	code := &cluster.Code{Func: en.meta.lit.src, Modules: []string{made.Module}, Made: &m}
	if err := addCaptures(code, en, what, to); err != nil {
		return nil, err
	}
	return code, nil
}

// errNoMakers is what a node without a module loader answers to a
// module's closure.
var errNoMakers = errors.New("this node loads no modules")

// runModuleCode makes the closure a module's code describes, with this
// node's maker of the literal.
func (e *Env) runModuleCode(code *cluster.Code) (any, error) {
	e.mu.Lock()
	m := e.makers
	e.mu.Unlock()
	if m == nil {
		return nil, errNoMakers
	}
	made := code.Made
	mk, wrap, err := m.Maker(made.Module, made.Version, made.Index)
	if err != nil {
		return nil, err
	}
	t := mk.Type()
	if t.NumIn() != len(code.Values) {
		return nil, fmt.Errorf("the closure of module %s takes %d captured values, got %d", made.Module, t.NumIn(), len(code.Values))
	}
	in := make([]reflect.Value, len(code.Values))
	for i, v := range code.Values {
		rv, err := captureArg(v, t.In(i))
		if err != nil {
			return nil, fmt.Errorf("captured variable %s: %w", code.Names[i], err)
		}
		in[i] = rv
	}
	fn := mk.Call(in)[0].Interface()
	if wrap == nil {
		return fn, nil
	}
	w := wrap(fn)
	e.aliasClosure(w, fn)
	return w, nil
}

// aliasClosure makes w, a function that calls closure f, travel as f
// does.
func (e *Env) aliasClosure(w, f any) {
	en := e.closureOf(f)
	if en == nil || reflect.ValueOf(w).Kind() != reflect.Func {
		return
	}
	c := &e.funs
	c.mu.Lock()
	c.gen++
	alias := &closureEntry{meta: en.meta, gen: c.gen, vars: en.vars, types: en.types}
	p := funcPtr(w)
	c.byPtr[uintptr(p)] = alias
	c.mu.Unlock()
	e.cleanupClosure(p, alias.gen)
}
