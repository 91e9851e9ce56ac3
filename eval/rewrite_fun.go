// Closures that travel: spawn(node, func() {...}) sends the function to
// another node as source, with copies of the variables it captures
// (ship.go). The interpreter keeps neither the source of a function value
// nor a way to read what it captured, so each function literal of an input
// is handed, where it is created, to a helper that remembers both:
//
//	func(n int) int { return n + k }  ->  __gerl_fun(func(n int) int { return n + k }, 7, &k).(func(n int) int)
//
// 7 names what the rewrite found (the literal's text, its captured
// variables and the other names it uses: funLit); &k lets the helper read
// k's value when the function is shipped, which may be long after it was
// created, as Go's closures see their variables' current values. The
// helper returns the function itself. The literal's text is taken before
// this rewrite, so a literal nested in it travels as written.
//
// Not rewritten: literals called where they stand (func() {...}() and the
// function of a go or defer statement), which can never travel. The
// top-level declarations of the input (functions, methods, types,
// constants) are reported with their text and the names they use, so that
// a closure calling a function defined at the prompt can take it along.

package eval

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
	"strings"
)

// funFunc is the helper the rewrite calls (Env.tagFun).
const funFunc = "__gerl_fun"

// funLit is a function literal of an input, as it travels.
type funLit struct {
	start    int      // the literal's offset in the input
	src      string   // the literal's text
	captures []string // the variables it captures, whose addresses funFunc gets in this order
	names    []string // the other names it uses from outside: functions, types, constants, packages, built-ins
	local    []string // types or constants declared in an enclosing function: with them, it cannot travel
}

// declSrc is a top-level declaration of an input: a function, a method, a
// type or a constant declaration.
type declSrc struct {
	names []string // the names it declares (a method: its receiver's type)
	src   string
	uses  []string // the names it uses that the input does not declare
}

// tagClosures rewrites the function literals of src (plain Go: shell input,
// after the send and loop rewrites) as the comment at the top of this file
// says. isGlobalVar says whether a name the input does not declare is a
// variable of the prompt (those are captured too); register records a
// literal and returns its number. It returns the top-level declarations of
// src, and the map from offsets in the output back to src. skip, when not
// nil, names more literals to leave alone: those that can never reach a
// call that ships them (ship_module.go).
func tagClosures(src string, isGlobalVar func(string) bool, register func(funLit) int, skip func([]unit) map[*ast.FuncLit]bool) (string, OffsetMap, []declSrc, error) {
	if !strings.Contains(src, "func") && !strings.Contains(src, "type") && !strings.Contains(src, "const") {
		return src, OffsetMap{}, nil, nil // no literal, and no declaration to record
	}
	units, err := parseUnits(src)
	if err != nil {
		return "", OffsetMap{}, nil, err
	}
	w := &loopWalker{src: src, goStmt: map[*ast.FuncLit]goCall{}, free: true}
	for i := range units {
		w.walkUnit(&units[i])
	}
	topVars := map[string]bool{}
	called := map[*ast.FuncLit]bool{}
	var decls []declSrc
	for i := range units {
		u := &units[i]
		for _, root := range u.nodes() {
			ast.Inspect(root, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if lit, ok := ast.Unparen(c.Fun).(*ast.FuncLit); ok {
						called[lit] = true
					}
				}
				return true
			})
		}
		decls = append(decls, unitDecls(src, u, topVars)...)
	}
	if skip != nil {
		for lit := range skip(units) {
			called[lit] = true
		}
	}
	var edits []edit
	for _, l := range w.lits {
		if called[l.lit] {
			continue
		}
		if _, ok := w.goStmt[l.lit]; ok {
			continue
		}
		u := l.unit
		typ, serr := oneLine(src, u, l.lit.Type)
		if serr != nil {
			continue // it cannot be rebound: it does not travel
		}
		start, end := u.off(l.lit.Pos()), u.off(l.lit.End())
		fl := funLit{start: start, src: src[start:end], local: l.local}
		for _, o := range l.freeVars {
			if o.name == "_" {
				continue
			}
			fl.captures = append(fl.captures, o.name)
		}
		for _, name := range l.freeNames {
			if name == "_" {
				continue // the blank identifier binds nothing
			}
			if topVars[name] || isGlobalVar(name) {
				fl.captures = append(fl.captures, name)
			} else {
				fl.names = append(fl.names, name)
			}
		}
		id := register(fl)
		var tail strings.Builder
		fmt.Fprintf(&tail, ", %d", id)
		for _, c := range fl.captures {
			tail.WriteString(", &" + c)
		}
		fmt.Fprintf(&tail, ").(%s)", typ)
		edits = append(edits,
			edit{off: start, ins: funFunc + "(", anchor: start},
			edit{off: end, ins: tail.String(), anchor: end - 1})
	}
	out, m, err := applyChecked(src, edits, "closures")
	if err != nil {
		return "", OffsetMap{}, nil, err
	}
	return out, m, decls, nil
}

// unitDecls returns the top-level declarations of u that a closure may
// take along (functions, methods, types, constants), and adds the
// variables the top level of u declares to topVars.
func unitDecls(src string, u *unit, topVars map[string]bool) []declSrc {
	var out []declSrc
	text := func(n ast.Node) string { return src[u.off(n.Pos()):u.off(n.End())] }
	if u.kind == Decl {
		for _, d := range u.file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			w := &loopWalker{src: src, u: u, goStmt: map[*ast.FuncLit]goCall{}, free: true}
			w.open()
			w.fn = &funcCtx{unit: u}
			w.recv(fd.Recv)
			w.funcType(fd.Type, true)
			w.stmts(fd.Body.List)
			name := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				name = recvTypeName(fd.Recv.List[0].Type)
			}
			out = append(out, declSrc{names: []string{name}, src: text(fd), uses: w.unresolved})
		}
		return out
	}
	for _, s := range u.body().List {
		switch st := s.(type) {
		case *ast.AssignStmt:
			if st.Tok == token.DEFINE {
				for _, l := range st.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						topVars[id.Name] = true
					}
				}
			}
		case *ast.DeclStmt:
			gd := st.Decl.(*ast.GenDecl)
			if gd.Tok == token.VAR {
				for _, spec := range gd.Specs {
					for _, id := range spec.(*ast.ValueSpec).Names {
						topVars[id.Name] = true
					}
				}
				continue
			}
			if gd.Tok != token.TYPE && gd.Tok != token.CONST {
				continue
			}
			w := &loopWalker{src: src, u: u, goStmt: map[*ast.FuncLit]goCall{}, free: true}
			w.open()
			w.fn = &funcCtx{unit: u, top: true}
			w.genDecl(gd)
			names := specNames(gd)
			uses := slices.DeleteFunc(w.unresolved, func(n string) bool { return slices.Contains(names, n) })
			out = append(out, declSrc{names: names, src: text(gd), uses: uses})
		}
	}
	return out
}

// specNames are the names gd declares.
func specNames(gd *ast.GenDecl) []string {
	var names []string
	for _, spec := range gd.Specs {
		switch sp := spec.(type) {
		case *ast.TypeSpec:
			names = append(names, sp.Name.Name)
		case *ast.ValueSpec:
			for _, id := range sp.Names {
				names = append(names, id.Name)
			}
		}
	}
	return names
}

// recvTypeName is the type name of a method's receiver: T of T, *T, T[P].
func recvTypeName(x ast.Expr) string {
	for {
		switch t := x.(type) {
		case *ast.StarExpr:
			x = t.X
		case *ast.ParenExpr:
			x = t.X
		case *ast.IndexExpr:
			x = t.X
		case *ast.IndexListExpr:
			x = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}
