// Blank assignments outside functions. yaegi (v0.16.1) gives the blank
// identifier a variable of its own in the global scope, typed by the
// first statement that assigns to it there, and every later assignment
// to _ outside a function writes to that variable: with a value of
// another type it fails. After `_, ref := spawn_monitor(f)` at the prompt
// (a Pid), `_ = make([]byte, 3)` said "value of type []uint8 is not
// assignable to type gerl.Pid", and two `_ =` of different types in one
// top-level loop failed alike. (Its issue 490 fixed the same for `var _`;
// inside functions the blank is local and correct.)
//
// So the blank of an assignment (=, not :=) written outside any function
// is the session's sink, a variable of type any that nothing else
// assigns, which takes a value of any type:
//
//	_ = make([]byte, n)          ->  __gerl_sink = make([]byte, n)
//	for _, x = range xs { ... }  ->  for __gerl_sink, x = range xs { ... }
//
// The sink holds the last value assigned to it until the next one. A
// short variable declaration (_, ref := ...) is left alone: yaegi
// declares its blank anew, which only ever fails a later assignment, and
// those go to the sink.

package eval

import (
	"go/ast"
	"go/token"
	"regexp"
)

// blankIdent matches a blank identifier (and, harmlessly, an underscore
// alone in a string or comment).
var blankIdent = regexp.MustCompile(`(?:^|[^\pL\pN_])_(?:[^\pL\pN_]|$)`)

// blankSink is the variable of type any that the blank rewrite assigns
// to; newInterpreter declares it.
const blankSink = "__gerl_sink"

// RewriteTopBlanksMap makes the session's sink the target of the blank
// assignments of src (shell input) written outside any function, as the
// comment at the top of this file says, and returns the map from offsets
// in the output back to src. A syntax error is returned as a
// *SourceError.
func RewriteTopBlanksMap(src string) (string, OffsetMap, error) {
	if !blankIdent.MatchString(src) {
		return src, OffsetMap{}, nil // no blank: spare the parse
	}
	return rewriteUnits(src, "blank assignments", func(u *unit) (edits []edit) {
		if u.kind != Stmts {
			return nil
		}
		sink := func(lhs ...ast.Expr) {
			for _, e := range lhs {
				if id, ok := e.(*ast.Ident); ok && id.Name == "_" {
					off := u.off(id.Pos())
					edits = append(edits, edit{off: off, del: 1, ins: blankSink, anchor: off})
				}
			}
		}
		for _, s := range u.body().List {
			ast.Inspect(s, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.FuncLit:
					return false // a function's blank is its own
				case *ast.AssignStmt:
					if x.Tok == token.ASSIGN {
						sink(x.Lhs...)
					}
				case *ast.RangeStmt:
					if x.Tok == token.ASSIGN {
						sink(x.Key, x.Value)
					}
				}
				return true
			})
		}
		return edits
	})
}
