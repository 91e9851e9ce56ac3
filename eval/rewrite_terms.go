// Terms built in place: T(a, b) and A("ping") are calls of Go functions
// (term.T, term.A), which the interpreter makes through reflection, a
// microsecond each on a loaded machine; a composite literal and a
// conversion it builds itself, several times faster. So the calls that
// build a term from its parts are rewritten into what they return:
//
//	T(A("ping"), self(), i)  ->  (Tuple{Atom("ping"), self(), i})
//
// with the same value (term.T returns its arguments as a Tuple; term.A
// converts its string). An interpreted ping-pong round trip makes four
// such calls. Left alone: T with no argument, with a spread (T(xs...)) or
// with a single call as argument (T(f()) passes every result of f); A of
// anything but a string literal; every call where T, A, Tuple or Atom
// may not be the built-in: declared in the input, or by the caller's
// shadowed (an earlier input's declaration, a module's own names); and a T
// whose arguments use a name that may not be defined (declared nowhere in
// the input, and not known to the caller's known): the interpreter takes
// an undefined name in a composite literal for a zero value without a word
// (Tuple{x, zzz} is {x, nil}), where the call says "undefined: zzz". For
// that reason a Tuple literal typed with such a name goes the other way,
// into the call.

package eval

import (
	"go/ast"
	"go/token"
	"regexp"
)

// TermNames is what RewriteTermsMap needs to know of the names where src
// runs, beyond what src declares itself.
type TermNames struct {
	// Shadowed says whether a name is declared there, hiding a built-in.
	Shadowed func(name string) bool
	// Known says whether a name src does not declare is defined there (a
	// variable, a function, a package...).
	Known func(name string) bool
	// Func says whether a name is a function declared there (func F...).
	// The interpreter puts such a function into a literal of a compiled
	// slice type (Tuple{F}) as its own syntax node, not as a func value
	// (yaegi v0.16.1), so a T with one as an argument stays a call, and a
	// Tuple literal with one becomes the call. Nil: none.
	Func func(name string) bool
}

// RewriteTermsMap rewrites the term-building calls of src (plain Go: shell
// input or a module file, after the send rewrite) as the comment at the
// top of this file says, with what names tells of the names where src
// runs. It returns the map from offsets in the output back to src. Lines
// do not move. Safe for concurrent use.
func RewriteTermsMap(src string, names TermNames) (string, OffsetMap, error) {
	if !termBuilding.MatchString(src) {
		return src, OffsetMap{}, nil // most inputs: no parse (8 µs for 1 + 2)
	}
	units, err := parseUnits(src)
	if err != nil {
		return "", OffsetMap{}, err
	}
	declared, funcs := map[string]bool{}, map[string]bool{}
	for i := range units {
		for _, root := range units[i].nodes() {
			declaredNames(root, declared)
			if fd, ok := root.(*ast.FuncDecl); ok && fd.Recv == nil {
				funcs[fd.Name.Name] = true
			}
		}
	}
	free := func(ns ...string) bool {
		for _, n := range ns {
			if declared[n] || names.Shadowed(n) {
				return false
			}
		}
		return true
	}
	tuples, atoms := free("T", "Tuple"), free("A", "Atom")
	knownHere := func(n string) bool { return declared[n] || names.Known(n) }
	funcHere := func(n string) bool { return funcs[n] || names.Func != nil && names.Func(n) }
	if !tuples && !atoms {
		return src, OffsetMap{}, nil
	}
	var edits []edit
	for i := range units {
		u := &units[i]
		for _, root := range u.nodes() {
			ast.Inspect(root, func(n ast.Node) bool {
				if cl, ok := n.(*ast.CompositeLit); ok && tuples {
					edits = append(edits, tupleAsCall(u, cl, knownHere, funcHere)...)
					return true
				}
				c, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				id, ok := c.Fun.(*ast.Ident)
				if !ok {
					return true
				}
				switch {
				case id.Name == "T" && tuples && c.Ellipsis == token.NoPos && len(c.Args) > 0 && !soleCall(c.Args) &&
					allKnown(c.Args, knownHere) && !anyFunc(c.Args, funcHere):
					start, lp, rp := u.off(id.Pos()), u.off(c.Lparen), u.off(c.Rparen)
					edits = append(edits,
						edit{off: start, del: lp + 1 - start, ins: "(Tuple{", anchor: start},
						edit{off: rp, del: 1, ins: "})", anchor: rp})
				case id.Name == "A" && atoms && len(c.Args) == 1 && isStringLit(c.Args[0]):
					start := u.off(id.Pos())
					edits = append(edits, edit{off: start, del: 1, ins: "Atom", anchor: start})
				}
				return true
			})
		}
	}
	return applyChecked(src, edits, "terms")
}

// tupleAsCall returns the edits that turn a Tuple literal whose elements
// use a name that may not be defined into the call it stands for,
// Tuple{x, zzz} into T(x, zzz) (gerl.Tuple{...} into gerl.T(...)), for
// which the interpreter says "undefined: zzz" where it would take the
// literal's zzz for nil; and one with a declared function as an element
// (see TermNames.Func).
func tupleAsCall(u *unit, cl *ast.CompositeLit, known, isFunc func(string) bool) []edit {
	call := ""
	switch t := cl.Type.(type) {
	case *ast.Ident:
		if t.Name == "Tuple" {
			call = "T("
		}
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok && x.Name == "gerl" && t.Sel.Name == "Tuple" {
			call = "gerl.T("
		}
	}
	if call == "" || len(cl.Elts) == 0 || soleCall(cl.Elts) || allKnown(cl.Elts, known) && !anyFunc(cl.Elts, isFunc) {
		return nil
	}
	for _, e := range cl.Elts {
		if _, ok := e.(*ast.KeyValueExpr); ok {
			return nil
		}
	}
	start, lb, rb := u.off(cl.Type.Pos()), u.off(cl.Lbrace), u.off(cl.Rbrace)
	return []edit{
		{off: start, del: lb + 1 - start, ins: call, anchor: start},
		{off: rb, del: 1, ins: ")", anchor: rb},
	}
}

// termBuilding finds what the rewrite may touch: a call of T or A, a
// Tuple literal.
var termBuilding = regexp.MustCompile(`\b(?:T|A)\s*\(|\bTuple\s*\{`)

// soleCall reports whether args is one call, which may give several
// values.
func soleCall(args []ast.Expr) bool {
	if len(args) != 1 {
		return false
	}
	_, ok := ast.Unparen(args[0]).(*ast.CallExpr)
	return ok
}

// allKnown reports whether every name args use is known (the selected
// name of x.Sel is x's business).
func allKnown(args []ast.Expr, known func(string) bool) bool {
	ok := true
	for _, a := range args {
		ast.Inspect(a, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				ast.Inspect(x.X, func(n ast.Node) bool {
					if id, isID := n.(*ast.Ident); isID && !known(id.Name) {
						ok = false
					}
					return ok
				})
				return false
			case *ast.Ident:
				if !known(x.Name) {
					ok = false
				}
			}
			return ok
		})
	}
	return ok
}

// anyFunc reports whether one of args is a function declared with func,
// named (F), or instantiated (F[int]).
func anyFunc(args []ast.Expr, isFunc func(string) bool) bool {
	for _, a := range args {
		x := ast.Unparen(a)
		switch ix := x.(type) {
		case *ast.IndexExpr:
			x = ix.X
		case *ast.IndexListExpr:
			x = ix.X
		}
		if id, ok := ast.Unparen(x).(*ast.Ident); ok && isFunc(id.Name) {
			return true
		}
	}
	return false
}

func isStringLit(x ast.Expr) bool {
	b, ok := ast.Unparen(x).(*ast.BasicLit)
	return ok && b.Kind == token.STRING
}

// declaredNames adds to out every name root declares anywhere in it:
// functions, types, variables, constants, parameters and results, struct
// fields, imports.
func declaredNames(root ast.Node, out map[string]bool) {
	add := func(ids ...*ast.Ident) {
		for _, id := range ids {
			if id != nil {
				out[id.Name] = true
			}
		}
	}
	ast.Inspect(root, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncDecl:
			add(x.Name)
		case *ast.Field:
			add(x.Names...)
		case *ast.TypeSpec:
			add(x.Name)
		case *ast.ValueSpec:
			add(x.Names...)
		case *ast.ImportSpec:
			add(x.Name)
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				for _, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		case *ast.RangeStmt:
			if x.Tok == token.DEFINE {
				for _, l := range []ast.Expr{x.Key, x.Value} {
					if id, ok := l.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		}
		return true
	})
}
