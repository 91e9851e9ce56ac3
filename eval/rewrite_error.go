// Values of interpreted types made into errors. yaegi (v0.16.1) gets an
// error variable wrong when a composite literal of a type declared in
// interpreted code is assigned to it: `var err error = Oops{"x"}` and
// `err = Oops{"x"}` (a named result too) leave a value whose Error method
// fails ("Method index out of range"), or a nil error, silently, for a
// named result; and it refuses the conversion `error(Oops{"x"})` ("value
// of type struct {...} is not assignable to type error"). A return of the
// same value is right, and so is assigning a variable that holds it. So
// the index pass, which knows the types, makes such a value in a function
// that returns it as an error:
//
//	err = Oops{"x"}         ->  err = func() error { return Oops{"x"} }()
//	error(Oops{"x"})        ->  func() error { return Oops{"x"} }()
//
// Other interfaces (fmt.Stringer, the prompt's own) take such values
// right, as error takes a pointer (&Oops{...}).

package eval

import (
	"go/ast"
	"go/token"
	"go/types"
)

// errorEdits puts the values of w's unit that yaegi would make into a
// broken error (see above) in a function returning them as an error.
func (w *indexWalker) errorEdits() {
	errT := types.Universe.Lookup("error").Type()
	isError := func(x ast.Expr) bool {
		tv, ok := w.info.Types[x]
		return ok && tv.Type != nil && types.Identical(tv.Type, errT)
	}
	ast.Inspect(w.u.file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.ValueSpec:
			if x.Type != nil && isError(x.Type) {
				for _, v := range x.Values {
					w.asError(v, true)
				}
			}
		case *ast.AssignStmt:
			if x.Tok == token.ASSIGN && len(x.Lhs) == len(x.Rhs) {
				for i, l := range x.Lhs {
					if isError(l) {
						w.asError(x.Rhs[i], true)
					}
				}
			}
		case *ast.CallExpr:
			if tv, ok := w.info.Types[x.Fun]; ok && tv.IsType() && types.Identical(tv.Type, errT) && len(x.Args) == 1 {
				w.asError(x, false)
				return false // its argument is the function's business now
			}
		}
		return true
	})
}

// asError wraps x, a value going into an error, in a function that
// returns it as one, when it is a composite literal of a named type (the
// check may not know the type: one an earlier input declared); and a
// conversion error(v) of a value that is not an interface or nil.
func (w *indexWalker) asError(x ast.Expr, literal bool) {
	start, end := w.u.off(x.Pos()), w.u.off(x.End())
	if !literal {
		// error(v) is v returned as an error, but for a v that is one
		// already, or nil (which yaegi returns wrong from a function
		// literal outside functions).
		v := x.(*ast.CallExpr).Args[0]
		if tv, ok := w.info.Types[v]; ok && tv.Type != nil && (tv.IsNil() || types.IsInterface(tv.Type)) {
			return
		}
		vs, ve := w.u.off(v.Pos()), w.u.off(v.End())
		w.edits = append(w.edits,
			edit{off: start, del: vs - start, ins: "func() error { return ", anchor: start},
			edit{off: ve, del: end - ve, ins: " }()", anchor: ve})
		return
	}
	lit, ok := ast.Unparen(x).(*ast.CompositeLit)
	if !ok {
		return
	}
	typ := lit.Type
	switch t := typ.(type) {
	case *ast.IndexExpr:
		typ = t.X
	case *ast.IndexListExpr:
		typ = t.X
	}
	if _, named := typ.(*ast.Ident); !named {
		return // a struct{...}{...}, a pkg.T{...}: not interpreted types
	}
	w.edits = append(w.edits,
		edit{off: start, ins: "func() error { return ", anchor: start},
		edit{off: end, ins: " }()", anchor: end})
}
