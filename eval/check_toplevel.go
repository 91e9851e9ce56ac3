// Statements gerl refuses before yaegi sees them. An input's statements
// run in the interpreter's global frame, outside any function, where Go
// has no return and no defer. yaegi v0.16.1 crashes compiling a return
// there ("CFG post-order panic: runtime error: invalid memory address"),
// and keeps a defer in the global frame, where it runs again at the end
// of every later input. And a value alone as a statement in a block (if x
// { "pos" }) is an error in Go ("is not used") that yaegi takes without
// a word: at the prompt it reads as erl's if, whose value is printed, and
// nothing happens. Each is refused with what to write instead.

package eval

import (
	"go/ast"
	"go/token"
	"regexp"
)

// mayMisplace finds the inputs checkTopLevel must parse: those with the
// word return or defer, or a block.
var mayMisplace = regexp.MustCompile(`\b(?:return|defer)\b|\{`)

// checkTopLevel returns a *SourceError for the first return or defer
// statement of src (plain Go: shell input, after the send rewrite) that
// is outside every function, or value alone as a statement in a block,
// nil if there is none (or src does not parse: the rewrites after it say
// why).
func checkTopLevel(src string) error {
	if !mayMisplace.MatchString(src) {
		return nil
	}
	units, err := parseUnits(src)
	if err != nil {
		return nil
	}
	var bad error
	for i := range units {
		u := &units[i]
		for _, root := range u.nodes() {
			if bad != nil {
				return bad
			}
			if st, alone := root.(*ast.ExprStmt); alone {
				// A statement of the input: its value is printed; what
				// is inside it is not (func() { x }()).
				bad = unusedValue(src, u, st.X)
			} else {
				bad = unusedValue(src, u, root)
			}
			if u.kind != Stmts {
				continue // declarations: functions, where return and defer belong
			}
			ast.Inspect(root, func(n ast.Node) bool {
				if bad != nil {
					return false
				}
				switch x := n.(type) {
				case *ast.FuncLit:
					return false // its own function
				case *ast.ReturnStmt:
					bad = newSourceError(src, u.off(x.Pos()), "return works inside a function only: at the prompt, the value of an input's last expression is printed, so write the value alone")
				case *ast.DeferStmt:
					bad = newSourceError(src, u.off(x.Pos()), "defer works inside a function only: at the prompt, make the call where it should happen, or put the input in a function (func() { ... }())")
				}
				return bad == nil
			})
		}
	}
	return bad
}

// unusedValue returns a *SourceError for the first statement in root
// (a statement of the input, not one alone) that is a value alone, as Go
// refuses it: not a call, nor a receive. Conversions and built-ins, which
// Go refuses too, are calls here, and left to the interpreter.
func unusedValue(src string, u *unit, root ast.Node) error {
	var bad error
	ast.Inspect(root, func(n ast.Node) bool {
		if bad != nil {
			return false
		}
		st, ok := n.(*ast.ExprStmt)
		if !ok {
			return true
		}
		switch x := ast.Unparen(st.X).(type) {
		case *ast.CallExpr:
			return true
		case *ast.UnaryExpr:
			if x.Op == token.ARROW {
				return true
			}
		}
		start, end := u.off(st.X.Pos()), u.off(st.X.End())
		bad = newSourceError(src, start, "%s is not used: a value alone is a statement only as the input's last, which the prompt prints (a block's is not); assign it, or return it from a function", src[start:end])
		return false
	})
	return bad
}
