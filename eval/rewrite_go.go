// Go statements: a goroutine that a go statement starts is not a process,
// and yaegi runs it with nothing above it to recover a panic, so one panic
// there would end the whole node. RewriteGoMap hands every go statement's
// call to a compiled function that starts the goroutine and makes the call
// there under a recover:
//
//	go f(a, b)       ->  fn(f, a, b)
//	go f(a, xs...)   ->  spread(f, a, xs)
//	go close(ch)     ->  fn(func() { close(ch) })
//
// The function and its arguments are still evaluated in the goroutine that
// runs the statement, as Go does; only a built-in's arguments (a built-in
// cannot be a value) are evaluated in the new goroutine. The rewritten
// statement is a plain call, not go fn(...): yaegi v0.16.1 does not copy
// the arguments of a go statement calling a compiled function
// (interp/run.go:1563), so the new goroutine would read them from the
// frame of the code that started it, which overwrites them (the next
// iteration of a loop), a data race that gives goroutines each other's
// arguments.

package eval

import (
	"go/ast"
	"go/token"
	"strings"
)

// isBuiltin reports whether name is a built-in function a go statement
// may call.
func isBuiltin(name string) bool {
	switch name {
	case "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len",
		"make", "max", "min", "new", "panic", "print", "println", "real", "recover":
		return true
	}
	return false
}

// RewriteGoMap rewrites the go statements of src (plain Go: shell input or
// a whole file) into calls of fn, or spread for a call with a final "...",
// which start the goroutine; see the comment at the top of this file. It returns
// the map from offsets in the output back to src. Newlines are kept. Valid
// Go without a go statement is returned unchanged; a syntax error is
// returned as a *SourceError.
func RewriteGoMap(src, fn, spread string) (string, OffsetMap, error) {
	return rewriteUnits(src, "go statements", func(u *unit) (edits []edit) {
		ast.Inspect(u.file, func(n ast.Node) bool {
			g, ok := n.(*ast.GoStmt)
			if !ok {
				return true
			}
			edits = append(edits, dropGo(src, u, g))
			edits = append(edits, goEdits(u, g.Call, fn, spread)...)
			return true
		})
		return edits
	})
}

// dropGo removes the go keyword of g, and the blanks after it on its line.
func dropGo(src string, u *unit, g *ast.GoStmt) edit {
	start, call := u.off(g.Go), u.off(g.Call.Pos())
	end := start + len("go")
	if gap := src[end:call]; strings.Trim(gap, " \t") == "" {
		end = call
	}
	return edit{off: start, del: end - start, anchor: start}
}

// goEdits rewrites one go statement's call.
func goEdits(u *unit, call *ast.CallExpr, fn, spread string) []edit {
	start, end := u.off(call.Pos()), u.off(call.End())
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && isBuiltin(id.Name) {
		return []edit{
			{off: start, ins: fn + "(func() { ", anchor: start},
			{off: end, ins: " })", anchor: end},
		}
	}
	name := fn
	var edits []edit
	if call.Ellipsis != token.NoPos {
		name = spread
		dots := u.off(call.Ellipsis)
		edits = append(edits, edit{off: dots, del: len("..."), anchor: dots})
	}
	lparen := u.off(call.Lparen)
	sep := ""
	if len(call.Args) > 0 {
		sep = ", "
	}
	return append(edits,
		edit{off: start, ins: name + "(", anchor: start},
		edit{off: lparen, del: 1, ins: sep, anchor: lparen},
	)
}
