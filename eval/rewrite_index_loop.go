// Index checks in loops. The check of rewrite_index.go is a native call,
// about 0.5 µs through yaegi: in a loop that indexes, it would make each
// iteration several times slower. A loop's body gets instead a pre-check
// in interpreted Go before each statement that indexes, which calls the
// native check only when the index is out of range:
//
//	k += s[i]  ->  if i < 0 || i >= len(s) { __gerl_ix(int(i), len(s), 0) }; k += s[i]
//
// (i < 0 is left out where i is known to be >= 0, see below; an unsigned
// index compares as uint.)
//
// A pre-check must fail exactly when the index would: it reads the index
// and the operand before the statement does, so it is only added where
// nothing can run in between that changes them or fails first, and where
// the index is certainly evaluated. That is: the index and the operand
// are variables, fields, constants, or simple arithmetic and len of them;
// the statement is an expression, an assignment, an increment, a send, a
// return, a var declaration, or the condition of an if (or the tag of a
// switch) without an init statement; no call or receive in the statement
// can run before the index is read (a call around it is fine: its
// arguments come first); the statement assigns to none of the index's
// variables; and the index is not in the right operand of && or ||, a
// function literal, a loop's condition or post statement, an else-if or a
// case expression. Everything else in a loop keeps yaegi's message
// ("index out of range (of a slice)").
//
// The pre-check costs one interpreted comparison and a second evaluation
// of the index, 30-40 ns (docs/performance.md). It tests i < 0 only where
// the index is not known to be >= 0 (a counter from 0 up, a range key, an
// unsigned value...), and an index by the key of a range over the same
// local variable, which nothing in the loop changes, gets no check: it is
// always in range. Both only ever leave a check out, so they can lose a
// message but never fail an index that is in range. The element of a
// Tuple that is not a variable (receive().(Tuple)[i]) is read by
// TupleElem in loops too: the call costs little next to a receive.

package eval

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
)

// loopFacts are what the loops around a statement tell of its indexes.
type loopFacts struct {
	nonNeg  map[types.Object]bool         // loop variables that stay >= 0
	rangeOf map[types.Object]types.Object // range key -> the local variable ranged over
}

// loopFacts adds to outer what loop tells of its variables: the key of a
// range, and a counter from a constant >= 0 up, stay >= 0 where the loop's
// body and no function literal changes them; the key of a range over a
// local variable the same code does not change is an index of it.
func (w *indexWalker) loopFacts(loop ast.Stmt, outer loopFacts) loopFacts {
	f := loopFacts{nonNeg: map[types.Object]bool{}, rangeOf: map[types.Object]types.Object{}}
	for k, v := range outer.nonNeg {
		f.nonNeg[k] = v
	}
	for k, v := range outer.rangeOf {
		f.rangeOf[k] = v
	}
	switch l := loop.(type) {
	case *ast.RangeStmt:
		key, ok := l.Key.(*ast.Ident)
		if !ok || l.Tok != token.DEFINE || w.info.Defs[key] == nil || w.changedIn(w.info.Defs[key], l.Body) {
			break
		}
		k := w.info.Defs[key]
		f.nonNeg[k] = true
		if x, ok := ast.Unparen(l.X).(*ast.Ident); ok {
			if v, ok := w.info.Uses[x].(*types.Var); ok && v.Parent() != v.Pkg().Scope() && !w.changedIn(v, l.Body) {
				f.rangeOf[k] = v
			}
		}
	case *ast.ForStmt:
		init, ok := l.Init.(*ast.AssignStmt)
		if !ok || init.Tok != token.DEFINE || len(init.Lhs) != 1 || len(init.Rhs) != 1 || !nonNegConst(w.info, init.Rhs[0]) {
			break
		}
		id, _ := init.Lhs[0].(*ast.Ident)
		v := w.info.Defs[id]
		if v == nil || w.changedIn(v, l.Body) || (l.Cond != nil && w.changedIn(v, l.Cond)) {
			break
		}
		switch p := l.Post.(type) {
		case *ast.IncDecStmt:
			ok = p.Tok == token.INC && isObj(w.info, p.X, v)
		case *ast.AssignStmt:
			ok = p.Tok == token.ADD_ASSIGN && isObj(w.info, p.Lhs[0], v) && nonNegConst(w.info, p.Rhs[0])
		default:
			ok = false
		}
		if ok {
			f.nonNeg[v] = true
		}
	}
	return f
}

// change is a place where a variable may change: an assignment to it or
// to one of its fields, an increment; pos is token.NoPos where its address
// is taken (it may then change anywhere).
type change struct {
	v   types.Object
	pos token.Pos
}

// changesIn lists the changes of variables in f, its function literals,
// and the expressions assigned, incremented or whose address is taken.
func changesIn(f *ast.File, info *types.Info) (changes []change, lits []ast.Node, lvalues map[ast.Expr]bool) {
	lvalues = map[ast.Expr]bool{}
	addr := false // the change is &e: through a pointer, anywhere
	add := func(e ast.Expr) {
		if e != nil {
			lvalues[ast.Unparen(e)] = true
		}
		for {
			switch x := e.(type) {
			case *ast.ParenExpr:
				e = x.X
				continue
			case *ast.SelectorExpr:
				e = x.X
				continue
			case *ast.IndexExpr:
				// An element of a slice or a map leaves the variable as
				// it is; an array's (or one of unknown type) may not.
				if t := info.Types[x.X].Type; t != nil {
					switch t.Underlying().(type) {
					case *types.Slice, *types.Map:
						return
					}
				}
				e = x.X
				continue
			case *ast.Ident:
				if v := info.Uses[x]; v != nil {
					pos := x.Pos()
					if addr {
						pos = token.NoPos
					}
					changes = append(changes, change{v, pos})
				}
			}
			return
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			lits = append(lits, x)
		case *ast.AssignStmt:
			for _, e := range x.Lhs {
				add(e)
			}
		case *ast.IncDecStmt:
			add(x.X)
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				addr = true
				add(x.X)
				addr = false
			}
		case *ast.RangeStmt:
			if x.Tok == token.ASSIGN {
				add(x.Key)
				add(x.Value)
			}
		}
		return true
	})
	return changes, lits, lvalues
}

// changedIn reports whether v may change in n or in a function literal.
func (w *indexWalker) changedIn(v types.Object, n ast.Node) bool {
	within := func(pos token.Pos, n ast.Node) bool { return n.Pos() <= pos && pos < n.End() }
	for _, c := range w.changes {
		if c.v != v {
			continue
		}
		if c.pos == token.NoPos || within(c.pos, n) {
			return true
		}
		for _, l := range w.funcLits {
			if within(c.pos, l) {
				return true
			}
		}
	}
	return false
}

// isObj reports whether e is the variable v.
func isObj(info *types.Info, e ast.Expr, v types.Object) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && info.Uses[id] == v
}

// nonNegConst reports whether e is a constant >= 0.
func nonNegConst(info *types.Info, e ast.Expr) bool {
	v := info.Types[e].Value
	return v != nil && v.Kind() == constant.Int && constant.Sign(v) >= 0
}

// nonNegative reports whether the index x is known to be >= 0: an unsigned
// integer, a constant >= 0, len or cap, a loop variable of f, or + * / %
// & of those. (Overflow is not considered: it would only lose the
// message, never fail an index in range.)
func (f loopFacts) nonNegative(info *types.Info, x ast.Expr) bool {
	if t := info.Types[x].Type; t != nil {
		if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&types.IsUnsigned != 0 {
			return true
		}
	}
	if nonNegConst(info, x) {
		return true
	}
	switch x := x.(type) {
	case *ast.Ident:
		return f.nonNeg[info.Uses[x]]
	case *ast.ParenExpr:
		return f.nonNegative(info, x.X)
	case *ast.BinaryExpr:
		switch x.Op {
		case token.ADD, token.MUL, token.QUO, token.REM, token.AND:
			return f.nonNegative(info, x.X) && f.nonNegative(info, x.Y)
		}
	case *ast.CallExpr:
		if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok {
			if b, ok := info.Uses[id].(*types.Builtin); ok {
				return b.Name() == "len" || b.Name() == "cap"
			}
		}
	}
	return false
}

// loopBody adds the pre-checks to the statements of a loop's body, and
// the call checks to the function literals in it (they run once per call).
func (w *indexWalker) loopBody(body *ast.BlockStmt, f loopFacts) {
	ast.Inspect(body, func(n ast.Node) bool {
		var list []ast.Stmt
		switch x := n.(type) {
		case *ast.FuncLit:
			w.walk(x.Body)
			return false
		case *ast.ForStmt:
			w.loopBody(x.Body, w.loopFacts(x, f))
			return false
		case *ast.RangeStmt:
			w.loopBody(x.Body, w.loopFacts(x, f))
			return false
		case *ast.IndexExpr:
			// receive().(Tuple)[i]: the call costs little next to the
			// receive.
			if kind, ok := indexKind(w.info, x); ok && kind == indexTuple && !pure(x.X) {
				w.tupleElem(x)
			}
		case *ast.BlockStmt:
			list = x.List
		case *ast.CaseClause:
			list = x.Body
		case *ast.CommClause:
			list = x.Body
		}
		for _, s := range list {
			w.preCheck(s, f)
		}
		return true
	})
}

// preCheck inserts before s the checks of the indexes s certainly reads
// first (see the top of this file).
func (w *indexWalker) preCheck(s ast.Stmt, f loopFacts) {
	var exprs, assigned []ast.Expr
	switch s := s.(type) {
	case *ast.ExprStmt:
		exprs = []ast.Expr{s.X}
	case *ast.AssignStmt:
		exprs = append(append(exprs, s.Lhs...), s.Rhs...)
		assigned = s.Lhs
	case *ast.IncDecStmt:
		exprs, assigned = []ast.Expr{s.X}, []ast.Expr{s.X}
	case *ast.SendStmt:
		exprs = []ast.Expr{s.Chan, s.Value}
	case *ast.ReturnStmt:
		exprs = s.Results
	case *ast.DeclStmt:
		if g, ok := s.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, spec := range g.Specs {
				if v, ok := spec.(*ast.ValueSpec); ok {
					exprs = append(exprs, v.Values...)
				}
			}
		}
	case *ast.IfStmt:
		if s.Init == nil {
			exprs = []ast.Expr{s.Cond}
		}
	case *ast.SwitchStmt:
		if s.Init == nil && s.Tag != nil {
			exprs = []ast.Expr{s.Tag}
		}
	}
	var sc stmtScan
	for _, e := range exprs {
		sc.scan(w.info, e, true)
	}
	changed := map[string]bool{} // variables the statement assigns
	for _, e := range assigned {
		root, ok := assignedRoot(e)
		if !ok {
			return // *p = ...: it could change anything
		}
		changed[root] = true
	}
	pos := w.u.off(s.Pos())
	seen := map[string]bool{}
	for _, x := range sc.indexes {
		check, ok := w.inlineCheck(x, f, sc.effects, changed)
		if ok && !seen[check] {
			seen[check] = true
			w.edits = append(w.edits, edit{off: pos, ins: check + "; ", anchor: pos})
		}
	}
	for _, call := range sc.calls {
		for _, check := range w.makePreCheck(call, sc.effects, changed) {
			if !seen[check] {
				seen[check] = true
				w.edits = append(w.edits, edit{off: pos, ins: check + "; ", anchor: pos})
			}
		}
	}
}

// readFirst reports whether x is read before anything in the statement
// can change it (effects other than calls around x) and assigns none of
// its variables (changed).
func (w *indexWalker) readFirst(x ast.Expr, effects []ast.Expr, changed map[string]bool) bool {
	for _, e := range effects {
		if !(e.Pos() <= x.Pos() && x.End() <= e.End()) {
			return false // it may run before x is read
		}
	}
	uses := false
	ast.Inspect(x, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && changed[id.Name] {
			uses = true
		}
		return !uses
	})
	return !uses
}

// inlineCheck is the pre-check of x, if it can have one.
func (w *indexWalker) inlineCheck(x *ast.IndexExpr, f loopFacts, effects []ast.Expr, changed map[string]bool) (string, bool) {
	kind, ok := indexKind(w.info, x)
	if !ok || !pure(x.X) || !pureIndex(w.info, x.Index) {
		return "", false
	}
	if v := w.info.Types[x.Index].Value; v != nil && (kind == indexArray || constant.Sign(v) < 0) {
		return "", false // Go checks these when it compiles
	}
	if !w.readFirst(x, effects, changed) {
		return "", false
	}
	index, err := oneLine(w.src, w.u, x.Index)
	if err != nil {
		return "", false
	}
	operand, err := oneLine(w.src, w.u, x.X)
	if err != nil {
		return "", false
	}
	if k, ok := ast.Unparen(x.Index).(*ast.Ident); ok {
		if op, ok := ast.Unparen(x.X).(*ast.Ident); ok && f.rangeOf[w.info.Uses[k]] == w.info.Uses[op] && f.rangeOf[w.info.Uses[k]] != nil {
			return "", false // for k := range s { s[k] }: always in range
		}
	}
	// Compare as int, the type of len; an unsigned index as uint (a
	// conversion costs about as much as a comparison).
	i, n := index, "len("+operand+")"
	it := w.info.Types[x.Index].Type
	if t, ok := it.Underlying().(*types.Basic); ok && it != types.Typ[types.Int] && t.Kind() != types.UntypedInt {
		if t.Info()&types.IsUnsigned != 0 {
			i, n = "uint("+index+")", "uint("+n+")"
		} else {
			i = "int(" + index + ")"
		}
	}
	cond := fmt.Sprintf("%s >= %s", i, n)
	if !f.nonNegative(w.info, x.Index) {
		cond = fmt.Sprintf("%s < 0 || %s", i, cond)
	}
	return fmt.Sprintf("if %s { %s(int(%s), len(%s), %d) }", cond, w.fn, index, operand, kind), true
}

// stmtScan is what a statement's expressions read and do.
type stmtScan struct {
	indexes []*ast.IndexExpr // read whenever the statement runs
	calls   []*ast.CallExpr  // made whenever the statement runs
	effects []ast.Expr       // calls and receives, which may change variables
}

// scan collects e's index expressions (when e is certainly evaluated) and
// effects, outside function literals.
func (sc *stmtScan) scan(info *types.Info, e ast.Expr, certain bool) {
	ast.Inspect(e, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			return false // runs when called: the call is an effect
		case *ast.BinaryExpr:
			if x.Op == token.LAND || x.Op == token.LOR {
				sc.scan(info, x.X, certain)
				sc.scan(info, x.Y, false)
				return false
			}
		case *ast.CallExpr:
			if !harmlessCall(info, x) {
				sc.effects = append(sc.effects, x)
			}
			if certain {
				sc.calls = append(sc.calls, x)
			}
		case *ast.UnaryExpr:
			if x.Op == token.ARROW {
				sc.effects = append(sc.effects, x)
			}
		case *ast.IndexExpr:
			if certain {
				sc.indexes = append(sc.indexes, x)
			}
		}
		return true
	})
}

// harmlessCall reports whether c changes no variable: a conversion, or
// len, cap, append, min or max.
func harmlessCall(info *types.Info, c *ast.CallExpr) bool {
	if tv, ok := info.Types[c.Fun]; ok && tv.IsType() {
		return true
	}
	id, ok := ast.Unparen(c.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := info.Uses[id].(*types.Builtin)
	if !ok {
		return false
	}
	switch b.Name() {
	case "len", "cap", "append", "min", "max":
		return true
	}
	return false
}

// assignedRoot is the variable an assignment to e changes: s for s, s.f
// or s.f.g; "" for an element (s[i] = ...: no variable changes); not ok
// for *p, which may change any.
func assignedRoot(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name, true
	case *ast.ParenExpr:
		return assignedRoot(e.X)
	case *ast.SelectorExpr:
		return assignedRoot(e.X)
	case *ast.IndexExpr:
		return "", true
	}
	return "", false
}

// pureIndex reports whether x can be read twice with the same result and
// no effect: a variable, a field, a constant, len or cap of one, and
// conversions and + - * / % & | ^ of those.
func pureIndex(info *types.Info, x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident, *ast.BasicLit:
		return true
	case *ast.SelectorExpr:
		return pure(x.X)
	case *ast.ParenExpr:
		return pureIndex(info, x.X)
	case *ast.UnaryExpr:
		return (x.Op == token.SUB || x.Op == token.ADD) && pureIndex(info, x.X)
	case *ast.BinaryExpr:
		switch x.Op {
		case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.AND, token.OR, token.XOR:
			return pureIndex(info, x.X) && pureIndex(info, x.Y)
		}
	case *ast.CallExpr:
		if len(x.Args) != 1 {
			return false
		}
		if tv, ok := info.Types[x.Fun]; ok && tv.IsType() {
			return pureIndex(info, x.Args[0]) // a conversion
		}
		if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok && harmlessCall(info, x) {
			return (id.Name == "len" || id.Name == "cap") && pure(x.Args[0])
		}
	}
	return false
}
