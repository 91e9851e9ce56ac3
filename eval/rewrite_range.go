// Range loops that assign. yaegi (v0.16.1) runs `for k, v = range xs`
// (=, to variables declared before) with the right values inside the
// loop, but leaves the variables at their zero values once it ends, where
// Go leaves the last iteration's: `var k int; for k = range xs {}; k` was
// 0 for a slice of two. `for k = range 3` does not compile at all ("nil
// type"). The loop is rewritten to declare its own variables and assign
// them at the top of each iteration, which is what Go's assignment does:
//
//	for k, v = range xs { ... }  ->  for __gerl_rk7, __gerl_rv7 := range xs { k, v = __gerl_rk7, __gerl_rv7; ... }
//
// (7: the loop's offset, so that nested loops' names differ.) A blank
// stays blank; a loop that assigns only blanks becomes `for range xs`.

package eval

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// RewriteRangeAssignsMap rewrites the range loops of src (shell input or
// a whole file) that assign to existing variables, as the comment at the
// top of this file says, and returns the map from offsets in the output
// back to src. Lines do not move. A syntax error is returned as a
// *SourceError.
func RewriteRangeAssignsMap(src string) (string, OffsetMap, error) {
	if !strings.Contains(src, "range") {
		return src, OffsetMap{}, nil // no loop to rewrite: spare the parse
	}
	return rewriteUnits(src, "range loops", func(u *unit) (edits []edit) {
		ast.Inspect(u.file, func(n ast.Node) bool {
			x, ok := n.(*ast.RangeStmt)
			if !ok || x.Tok != token.ASSIGN || x.Key == nil {
				return true
			}
			start := u.off(x.Key.Pos())
			header := u.off(x.TokPos) + len(token.ASSIGN.String())
			decl, lhs, rhs := ownVars(src, u, []ast.Expr{x.Key, x.Value}, "__gerl_r", "kv", start)
			if len(lhs) == 0 {
				// Only blanks: nothing to assign.
				end := header
				for end < len(src) && src[end] == ' ' {
					end++
				}
				edits = append(edits, edit{off: start, del: end - start, anchor: start})
				return true
			}
			edits = append(edits, edit{off: start, del: header - start, ins: strings.Join(decl, ", ") + " :=", anchor: start})
			body := u.off(x.Body.Lbrace) + 1
			edits = append(edits, edit{off: body, ins: fmt.Sprintf(" %s = %s;", strings.Join(lhs, ", "), strings.Join(rhs, ", ")), anchor: body})
			return true
		})
		return edits
	})
}

// Range over an integer (Go 1.22) does not compile in yaegi (v0.16.1):
// `for i := range 10` says "nil type". The index pass, which knows the
// types, makes such a loop the three-clause loop Go defines it as, the
// bound evaluated once:
//
//	for i := range n {  ->  for i, __gerl_rn7 := int(0), n; i < __gerl_rn7; i++ {
//	for range n {       ->  for __gerl_ri7, __gerl_rn7 := int(0), n; __gerl_ri7 < __gerl_rn7; __gerl_ri7++ {
//
// The counter has the bound's type (int for an untyped constant). A bound
// whose type the check does not know (from an imported package) is left
// as it is, and yaegi's message says so.

// rangeIntEdits rewrites the range loops over integers of w's unit.
func (w *indexWalker) rangeIntEdits() {
	ast.Inspect(w.u.file, func(n ast.Node) bool {
		x, ok := n.(*ast.RangeStmt)
		if !ok || x.Value != nil || x.Tok == token.ASSIGN {
			return true
		}
		typ, ok := w.rangeIntType(x.X)
		if !ok {
			return true
		}
		at := w.u.off(x.For)
		bound := fmt.Sprintf("__gerl_rn%d", at)
		counter := fmt.Sprintf("__gerl_ri%d", at)
		start := w.u.off(x.Range)
		if id, ok := x.Key.(*ast.Ident); ok && id.Name != "_" {
			counter = id.Name
			start = w.u.off(x.Key.Pos())
		} else if x.Key != nil {
			start = w.u.off(x.Key.Pos())
		}
		from, to := w.u.off(x.X.Pos()), w.u.off(x.X.End())
		w.edits = append(w.edits,
			edit{off: start, del: from - start, ins: fmt.Sprintf("%s, %s := %s(0), ", counter, bound, typ), anchor: start},
			edit{off: to, ins: fmt.Sprintf("; %s < %s; %s++", counter, bound, counter), anchor: to})
		return true
	})
}

// rangeIntType is the name of the type of x, a range loop's operand,
// when it is an integer type the rewrite can name.
func (w *indexWalker) rangeIntType(x ast.Expr) (string, bool) {
	tv, ok := w.info.Types[x]
	if !ok || tv.Type == nil {
		return "", false
	}
	b, ok := tv.Type.Underlying().(*types.Basic)
	if !ok || b.Info()&types.IsInteger == 0 {
		return "", false
	}
	if b.Info()&types.IsUntyped != 0 {
		return "int", true
	}
	switch t := types.Unalias(tv.Type).(type) {
	case *types.Basic:
		return t.Name(), true
	case *types.Named:
		// Declared by the source itself (a type of another package
		// has none the check knows).
		if pkg := t.Obj().Pkg(); pkg != nil && pkg.Path() != GerlPath && t.TypeArgs() == nil {
			return t.Obj().Name(), true
		}
	}
	return "", false
}

// RewriteRangesMap is the two range rewrites alone (range loops that
// assign, range over integers), for a module's file before its type
// check, which would refuse range over an integer: the prompt gets them
// from RewriteRangeAssignsMap and the index pass. It returns the map from
// offsets in the output back to src. A syntax error is returned as a
// *SourceError.
func RewriteRangesMap(src string) (string, OffsetMap, error) {
	assigned, m1, err := RewriteRangeAssignsMap(src)
	if err != nil || !strings.Contains(assigned, "range") {
		return assigned, m1, err
	}
	var edits []edit
	err = eachChecked(assigned, promptTypes{}, func(u *unit, info *types.Info, sc *checkScope) {
		w := &indexWalker{src: assigned, u: u, info: info, checked: sc.pkg}
		w.rangeIntEdits()
		edits = append(edits, w.edits...)
	})
	if err != nil {
		return "", OffsetMap{}, err
	}
	out, m2, err := applyChecked(assigned, edits, "range loops")
	return out, m1.Then(m2), err
}

// ownVars names the variables a rewritten statement declares in place of
// the variables exprs assigns to (a nil one is left out, a blank stays
// blank): decl, the names declared in order; lhs = rhs, the assignment
// that gives exprs their values. The names are prefix, the letter of
// letters at the expression's place, and at (an offset: nested
// statements' names differ).
func ownVars(src string, u *unit, exprs []ast.Expr, prefix, letters string, at int) (decl, lhs, rhs []string) {
	for j, e := range exprs {
		if e == nil {
			continue
		}
		if id, ok := e.(*ast.Ident); ok && id.Name == "_" {
			decl = append(decl, "_")
			continue
		}
		name := fmt.Sprintf("%s%c%d", prefix, letters[j], at)
		decl = append(decl, name)
		lhs = append(lhs, src[u.off(e.Pos()):u.off(e.End())])
		rhs = append(rhs, name)
	}
	return decl, lhs, rhs
}
