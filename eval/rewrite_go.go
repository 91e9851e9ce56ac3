// Go statements: a goroutine that a go statement starts is not a process,
// and yaegi runs it with nothing above it to recover a panic, so one panic
// there would end the whole node. RewriteGoMap hands every go statement's
// call to a compiled function that makes it under a recover:
//
//	go f(a, b)       ->  go fn(f, a, b)
//	go f(a, xs...)   ->  go spread(f, a, xs)
//	go close(ch)     ->  go fn(func() { close(ch) })
//
// The go statement still evaluates the function and its arguments, in the
// goroutine that runs it, as Go does; only a built-in's arguments (a
// built-in cannot be a value) are evaluated in the new goroutine.

package eval

import (
	"go/ast"
	"go/token"
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
// a whole file) to call fn, or spread for a call with a final "...", in
// the new goroutine; see the comment at the top of this file. It returns
// the map from offsets in the output back to src. Newlines are kept. Valid
// Go without a go statement is returned unchanged; a syntax error is
// returned as a *SourceError.
func RewriteGoMap(src, fn, spread string) (string, OffsetMap, error) {
	units, err := parseUnits(src)
	if err != nil {
		return "", OffsetMap{}, err
	}
	var edits []edit
	for i := range units {
		u := &units[i]
		ast.Inspect(u.file, func(n ast.Node) bool {
			g, ok := n.(*ast.GoStmt)
			if !ok {
				return true
			}
			edits = append(edits, goEdits(u, g.Call, fn, spread)...)
			return true
		})
	}
	return applyChecked(src, edits, "go statements")
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
