// Comma-ok outside functions. yaegi (v0.16.1) cannot compile the
// two-value forms of a type assertion, a map index or a receive outside a
// function: `msg, ok := receive(1000).(Tuple)`, `v, ok := m[k]`,
// `if n, ok := x.(int); ok {` typed at the prompt each failed with "the
// interpreter failed to compile this input: nil type" (its global type
// analysis has no type for the pair). Inside a function they work, so the
// index pass, which knows the types, computes the pair in one:
//
//	msg, ok := receive(1000).(Tuple)
//	  ->  msg, ok := func() (Tuple, bool) { v, ok := receive(1000).(Tuple); return v, ok }()
//
// The value's type is written as the assertion writes it, or, for a map
// or a channel, as the type check names it; one it cannot name (from a
// package the check does not know) is left alone, and the message says
// how to write it instead.

package eval

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// commaOkEdits computes the comma-ok pairs of w's unit written outside
// functions in a function of their own.
func (w *indexWalker) commaOkEdits() {
	if w.u.kind != Stmts {
		return
	}
	comm := map[ast.Stmt]bool{} // a select's receive must stay a receive
	for _, s := range w.u.body().List {
		ast.Inspect(s, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				return false // inside a function: yaegi has it right
			case *ast.CommClause:
				comm[x.Comm] = true
			case *ast.AssignStmt:
				if len(x.Lhs) == 2 && len(x.Rhs) == 1 && !comm[x] {
					w.commaOk(x.Rhs[0])
				}
			case *ast.ValueSpec:
				if len(x.Names) == 2 && len(x.Values) == 1 {
					w.commaOk(x.Values[0])
				}
			}
			return true
		})
	}
}

// commaOk puts rhs, the value of a two-value assignment, in a function
// returning the pair, when it is a comma-ok form whose value type can be
// named.
func (w *indexWalker) commaOk(rhs ast.Expr) {
	var typ string
	switch x := ast.Unparen(rhs).(type) {
	case *ast.TypeAssertExpr:
		if x.Type == nil {
			return
		}
		typ = w.src[w.u.off(x.Type.Pos()):w.u.off(x.Type.End())]
	case *ast.IndexExpr:
		if m, ok := w.underlying(x.X).(*types.Map); ok {
			typ = w.typeName(m.Elem())
		}
	case *ast.UnaryExpr:
		if c, ok := w.underlying(x.X).(*types.Chan); ok && x.Op == token.ARROW {
			typ = w.typeName(c.Elem())
		}
	default:
		return
	}
	if typ == "" {
		return
	}
	start, end := w.u.off(rhs.Pos()), w.u.off(rhs.End())
	w.edits = append(w.edits,
		edit{off: start, ins: fmt.Sprintf("func() (%s, bool) { __gerl_v, __gerl_ok := ", typ), anchor: start},
		edit{off: end, ins: "; return __gerl_v, __gerl_ok }()", anchor: end})
}

// underlying is the underlying type of x as the check knows it, nil if it
// does not.
func (w *indexWalker) underlying(x ast.Expr) types.Type {
	if tv, ok := w.info.Types[x]; ok && tv.Type != nil {
		return tv.Type.Underlying()
	}
	return nil
}

// typeName writes t as the prompt names it, "" when it cannot (a type of
// a package the check does not know). The check knows two packages: the
// unit's own, whose names are written bare, and gerl.
func (w *indexWalker) typeName(t types.Type) string {
	if containsInvalid(t) {
		return ""
	}
	return types.TypeString(t, func(p *types.Package) string {
		if p.Path() == GerlPath {
			return "gerl"
		}
		return ""
	})
}

// containsInvalid reports whether t is built of a type the check does not
// know.
func containsInvalid(t types.Type) bool {
	switch t := t.(type) {
	case *types.Basic:
		return t.Kind() == types.Invalid
	case *types.Slice:
		return containsInvalid(t.Elem())
	case *types.Array:
		return containsInvalid(t.Elem())
	case *types.Pointer:
		return containsInvalid(t.Elem())
	case *types.Map:
		return containsInvalid(t.Key()) || containsInvalid(t.Elem())
	case *types.Chan:
		return containsInvalid(t.Elem())
	}
	return false
}

// A select outside functions whose case receives two values (case v, ok
// := <-ch) fails in yaegi too ("undefined: ok"), and a select's case must
// stay a receive; a type switch that binds its value (switch m :=
// receive().(type)) fails outside functions whatever its cases ("the
// interpreter failed to compile this input: runtime error: index out of
// range [1] with length 1"). So the statement written at the top level
// that holds one runs in a function of its own, as the loops that make
// closures do (rewrite_guard.go's wrapLoop):
//
//	select { case v, ok := <-ch: ... }  ->  { func() { select { case v, ok := <-ch: ... } }() }
//	switch m := x.(type) { ... }        ->  { func() { switch m := x.(type) { ... } }() }
//
// Only statements that declare nothing visible after them are wrapped
// (for, if, switch, select, blocks), and none with a goto.

// RewriteTopStatementsMap wraps such statements of src (shell input), as
// the comment above says, and returns the map from offsets in the output
// back to src. A syntax error is returned as a *SourceError.
func RewriteTopStatementsMap(src string) (string, OffsetMap, error) {
	if !strings.Contains(src, "select") && !strings.Contains(src, ".(type)") {
		return src, OffsetMap{}, nil // neither: spare the parse
	}
	return rewriteUnits(src, "select and type switch statements", func(u *unit) (edits []edit) {
		if u.kind != Stmts {
			return nil
		}
		for _, s := range u.body().List {
			inner := s
			if l, ok := s.(*ast.LabeledStmt); ok {
				inner = l.Stmt
			}
			switch inner.(type) {
			case *ast.ForStmt, *ast.RangeStmt, *ast.IfStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.BlockStmt:
			default:
				continue
			}
			if !needsOwnFunc(s) {
				continue
			}
			start, end := u.off(s.Pos()), u.off(s.End())
			edits = append(edits, edit{off: start, ins: "{ func() { ", anchor: start}, edit{off: end, ins: " }() }", anchor: end})
		}
		return edits
	})
}

// needsOwnFunc reports whether s holds, outside function literals, a
// select case that receives two values or a type switch that binds its
// value, and no goto.
func needsOwnFunc(s ast.Stmt) bool {
	found, gotos := false, false
	ast.Inspect(s, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.BranchStmt:
			gotos = gotos || x.Tok == token.GOTO
		case *ast.CommClause:
			if a, ok := x.Comm.(*ast.AssignStmt); ok && len(a.Lhs) == 2 {
				found = true
			}
		case *ast.TypeSwitchStmt:
			if _, ok := x.Assign.(*ast.AssignStmt); ok {
				found = true
			}
		}
		return true
	})
	return found && !gotos
}

// A select case that assigns what it receives to variables declared
// before it (case v = <-ch, case v, ok = <-ch) fails in yaegi wherever it
// is written ("invalid Dir"). It is rewritten to declare its own
// variables and assign them first thing in the case, which is when Go
// assigns them:
//
//	case v, ok = <-ch: ...  ->  case __gerl_sv7, __gerl_sk7 := <-ch: v, ok = __gerl_sv7, __gerl_sk7; ...

// RewriteSelectAssignsMap rewrites the select cases of src (shell input
// or a whole file) that assign what they receive, as the comment above
// says, and returns the map from offsets in the output back to src. Lines
// do not move. A syntax error is returned as a *SourceError.
func RewriteSelectAssignsMap(src string) (string, OffsetMap, error) {
	if !strings.Contains(src, "select") {
		return src, OffsetMap{}, nil // no select: spare the parse
	}
	return rewriteUnits(src, "select cases", func(u *unit) (edits []edit) {
		ast.Inspect(u.file, func(n ast.Node) bool {
			cc, ok := n.(*ast.CommClause)
			if !ok {
				return true
			}
			a, ok := cc.Comm.(*ast.AssignStmt)
			if !ok || a.Tok != token.ASSIGN {
				return true
			}
			start := u.off(a.Pos())
			decl, lhs, rhs := ownVars(src, u, a.Lhs, "__gerl_s", "vk", start)
			header := u.off(a.TokPos) + len(token.ASSIGN.String())
			if len(lhs) == 0 {
				edits = append(edits, edit{off: start, del: header - start, anchor: start}) // case <-ch
				return true
			}
			edits = append(edits, edit{off: start, del: header - start, ins: strings.Join(decl, ", ") + " :=", anchor: start})
			colon := u.off(cc.Colon) + 1
			edits = append(edits, edit{off: colon, ins: fmt.Sprintf(" %s = %s;", strings.Join(lhs, ", "), strings.Join(rhs, ", ")), anchor: colon})
			return true
		})
		return edits
	})
}
