package eval

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
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
//
// Nor are a generic function's literals, which the interpreter cannot
// hand to the tag, nor the literals whose closures cannot leave the function that
// makes them, which would pay for the tag (a few microseconds for each
// closure made) for nothing: a literal assigned to a variable that the
// function only ever calls (f := func() {...}; f()), and a literal given
// straight to a function of a package for which std answers true (the
// standard library: sort.Slice(xs, func(i, j int) bool {...}) cannot hand
// it to spawn).
func ModuleLiterals(text string, std func(pkg string) bool) ([]ModuleLit, error) {
	var out []ModuleLit
	_, _, _, err := tagClosures(text, func(string) bool { return false }, func(l funLit) int {
		out = append(out, ModuleLit{Start: l.start, End: l.start + len(l.src), Captures: l.captures, Local: l.local})
		return 0
	}, staying(std))
	return out, err
}

// staying returns the literals of a module's units whose closures never
// leave the function that makes them (see ModuleLiterals).
func staying(std func(pkg string) bool) func([]unit) map[*ast.FuncLit]bool {
	return func(units []unit) map[*ast.FuncLit]bool {
		out := map[*ast.FuncLit]bool{}
		for i := range units {
			if units[i].kind != Decl {
				continue
			}
			for _, d := range units[i].file.Decls {
				fd, ok := d.(*ast.FuncDecl)
				switch {
				case !ok || fd.Body == nil:
				case isGeneric(fd):
					// Its closures cannot be tagged: the interpreter
					// does not convert a generic function's closures.
					ast.Inspect(fd.Body, func(n ast.Node) bool {
						if lit, ok := n.(*ast.FuncLit); ok {
							out[lit] = true
						}
						return true
					})
				default:
					stayingIn(fd.Body, std, out)
				}
			}
		}
		return out
	}
}

// isGeneric reports whether fd has type parameters, or is a method of a
// generic type.
func isGeneric(fd *ast.FuncDecl) bool {
	if fd.Type.TypeParams != nil {
		return true
	}
	if fd.Recv == nil || len(fd.Recv.List) != 1 {
		return false
	}
	x := fd.Recv.List[0].Type
	if s, ok := x.(*ast.StarExpr); ok {
		x = s.X
	}
	switch x.(type) {
	case *ast.IndexExpr, *ast.IndexListExpr:
		return true
	}
	return false
}

// stayingIn adds to out the literals of body whose closures never leave
// it.
func stayingIn(body *ast.BlockStmt, std func(string) bool, out map[*ast.FuncLit]bool) {
	bound := map[*ast.FuncLit]*ast.Ident{} // literal -> the variable it is assigned to
	called := map[*ast.Ident]bool{}        // identifiers in call position
	ast.Inspect(body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok {
				called[id] = true
			}
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && std(pkg.Name) {
					for _, a := range x.Args {
						if lit, ok := ast.Unparen(a).(*ast.FuncLit); ok {
							out[lit] = true
						}
					}
				}
			}
		case *ast.AssignStmt:
			if len(x.Lhs) == len(x.Rhs) && (x.Tok == token.DEFINE || x.Tok == token.ASSIGN) {
				for i, r := range x.Rhs {
					lit, ok1 := ast.Unparen(r).(*ast.FuncLit)
					id, ok2 := x.Lhs[i].(*ast.Ident)
					if ok1 && ok2 && id.Name != "_" {
						bound[lit] = id
					}
				}
			}
		}
		return true
	})
	for lit, v := range bound {
		// Every other use of the name in the function (this variable or
		// another of the same name: either way, a doubt) must be a call.
		only := true
		ast.Inspect(body, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id != v && id.Name == v.Name && !called[id] {
				only = false
			}
			return only
		})
		if only {
			out[lit] = true
		}
	}
}

// TagModuleClosures rewrites the function literals of a module file as
// the prompt's are (rewrite_fun.go), so that the closures they make can
// travel as literals of version version of module. Only the literals
// listed by ModuleLiterals are tagged: planned says whether the literal at
// byte offset start is one, and maker gives its maker's number (or -1 and
// why it has none), given the variables the tagging found it captures.
// Lines do not move; columns do on the lines rewritten. Safe for
// concurrent use.
func (e *Env) TagModuleClosures(module, version, text string, planned func(start int) bool, maker func(start int, captures []string) (int, string)) (string, error) {
	skip := func(units []unit) map[*ast.FuncLit]bool {
		out := map[*ast.FuncLit]bool{}
		for i := range units {
			u := &units[i]
			for _, root := range u.nodes() {
				ast.Inspect(root, func(n ast.Node) bool {
					if lit, ok := n.(*ast.FuncLit); ok && !planned(u.off(lit.Pos())) {
						out[lit] = true
					}
					return true
				})
			}
		}
		return out
	}
	out, _, _, err := tagClosures(text, func(string) bool { return false }, func(l funLit) int {
		index, why := maker(l.start, l.captures)
		made := cluster.Made{Module: module, Version: version, Index: index}
		key := metaKey{src: l.src, caps: strings.Join(l.captures, ","), made: made}
		return e.registerMeta(key, &funMeta{lit: l, made: &made, why: why})
	}, skip)
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
	fn, err := applyMaker(mk, code, "the closure of module "+made.Module)
	if err != nil {
		return nil, err
	}
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
