// Top-level function literals: yaegi gives a function literal that is
// passed straight to a compiled function (spawn(func() {...}) at the
// prompt) the frame it was evaluated in as its parent frame, and reads
// that frame's channel-cancel field, without a lock, every time the
// compiled side calls the function: a process starting, a callback. At the
// top level of an input that frame is the interpreter's global frame, whose
// field every later input rewrites (yaegi v0.16.1 interp/interp.go:132
// reads what interp/run.go:113 writes): a data race between a process and
// the next input.
//
// So such a literal is made inside a function that a compiled helper
// calls, and handed back:
//
//	spawn(func() { work() })  ->  spawn(call(func() func() { return func() { work() } }).(func()))
//
// The literal's parent frame is then that function's frame, which nothing
// writes again. The literal still sees the same variables: at the top
// level they are globals, which every frame reaches through the global
// frame. (An immediately invoked function would do the same, but yaegi
// evaluates a literal at the top level by copying the whole global frame,
// which grows with every input, into the closure: a cost the helper,
// called from compiled code, does not pay.)

package eval

import (
	"go/ast"
	"strings"
)

// RewriteTopLiteralsMap rebinds the function literals of src (plain Go:
// shell input) that are passed as arguments at the top level, outside any
// function, through call, a compiled func(f any) any that calls f and
// returns its result, as the comment at the top of this file says. It
// returns the map from offsets in the output back to src. Newlines are
// kept. Go without such a literal is returned unchanged (without the word
// func, without even parsing it: prepare's earlier rewrites have); a
// syntax error is returned as a *SourceError.
func RewriteTopLiteralsMap(src, call string) (string, OffsetMap, error) {
	if !strings.Contains(src, "func") {
		return src, OffsetMap{}, nil // no literal: spare the parse
	}
	units, err := parseUnits(src)
	if err != nil {
		return "", OffsetMap{}, err
	}
	var edits []edit
	var first *SourceError
	for i := range units {
		u := &units[i]
		for _, root := range u.nodes() {
			ast.Inspect(root, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.FuncLit, *ast.FuncDecl:
					return false // inside a function: its own frame
				case *ast.CallExpr:
					if e, ok := iife(src, u, x, call); ok {
						edits = append(edits, e...)
						return false
					}
					for _, a := range x.Args {
						lit, ok := ast.Unparen(a).(*ast.FuncLit)
						if !ok {
							continue
						}
						typ, serr := oneLine(src, u, lit.Type)
						if serr != nil {
							if first == nil {
								first = serr
							}
							continue
						}
						start, end := u.off(lit.Pos()), u.off(lit.End())
						edits = append(edits,
							edit{off: start, ins: call + "(func() " + typ + " { return ", anchor: start},
							edit{off: end, ins: " }).(" + typ + ")", anchor: end})
					}
				}
				return true
			})
		}
	}
	if first != nil {
		return "", OffsetMap{}, first
	}
	return applyChecked(src, edits, "top-level closures")
}

// iife rewrites an immediately invoked function of one result and no
// parameters, func() T {...}(), into call(func() T {...}).(T): the loop
// closure rewrite makes one per closure in a loop, and yaegi would copy
// the global frame into each.
func iife(src string, u *unit, c *ast.CallExpr, call string) ([]edit, bool) {
	lit, ok := ast.Unparen(c.Fun).(*ast.FuncLit)
	if !ok || len(c.Args) != 0 || lit.Type.Params.NumFields() != 0 || lit.Type.Results.NumFields() != 1 {
		return nil, false
	}
	typ, serr := oneLine(src, u, lit.Type.Results.List[0].Type)
	if serr != nil {
		return nil, false
	}
	start, lparen, end := u.off(c.Pos()), u.off(c.Lparen), u.off(c.End())
	return []edit{
		{off: start, ins: call + "(", anchor: start},
		{off: lparen, del: end - lparen, ins: ").(" + typ + ")", anchor: lparen},
	}, true
}
