// Statements that belong in a function: an input's statements run in the
// interpreter's global frame, outside any function, where Go has no
// return and no defer. yaegi v0.16.1 crashes compiling a return there
// ("CFG post-order panic: runtime error: invalid memory address"), and
// keeps a defer in the global frame, where it runs again at the end of
// every later input. So either is refused before it reaches yaegi, with
// what to write instead.

package eval

import (
	"go/ast"
	"regexp"
)

// mayMisplace finds the inputs checkTopLevel must parse: those with the
// word return or defer.
var mayMisplace = regexp.MustCompile(`\b(?:return|defer)\b`)

// checkTopLevel returns a *SourceError for the first return or defer
// statement of src (plain Go: shell input, after the send rewrite) that
// is outside every function, nil if there is none (or src does not
// parse: the rewrites after it say why).
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
		if u.kind != Stmts {
			continue
		}
		for _, root := range u.nodes() {
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
