package eval

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// SendBuiltin is the built-in a rewritten send, pid ! msg, calls: the
// rewrite (RewriteSend) names it, Env.Builtins has it. Hot loading
// rewrites module files with it.
const SendBuiltin = bangFunc

// Names the rewrites call; the shell's built-ins define them.
const (
	bangFunc    = "__gerl_bang"
	captureFunc = "__gerl_result"
	callFunc    = "__gerl_call"
)

// prepared is one input made ready for yaegi: sends and loop closures
// rewritten, cut into segments, with the map back to what the user typed.
type prepared struct {
	src      string    // as typed
	final    string    // after the rewrites; segments are slices of it
	toSrc    OffsetMap // offsets in final -> offsets in src
	segments []Segment
	decls    []declSrc // the input's top-level declarations (rewrite_fun.go)
	generics []string  // the generic functions and types it uses (rewrite_generic.go)
}

// tagging is what the closure rewrite (rewrite_fun.go) needs of a session.
type tagging struct {
	isGlobalVar func(name string) bool
	// globalType is the type of the prompt's variable name, nil if there
	// is none (the index checks, rewrite_index.go).
	globalType func(name string) reflect.Type
	register   func(funLit) int
	// declsOf gives the declarations of name earlier inputs made (the
	// calls of generic functions, rewrite_generic.go).
	declsOf func(name string) []declSrc
	// used says whether an input that ran used the generic name.
	used func(name string) bool
	// declared says whether an earlier input declared name, known
	// whether name is defined at the prompt, declaredFunc whether an
	// earlier input declared it as a function (the term rewrite,
	// rewrite_terms.go).
	declared, known, declaredFunc func(name string) bool
}

// prepare rewrites and splits src; with tag, its function literals are
// tagged so that they can travel. Errors are *EvalError (CompileError)
// located in src.
//
// A rewrite that panics (a bug in gerl, not in the input) gives an error
// that says so, not the end of the node.
func prepare(src string, tag *tagging) (p *prepared, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &EvalError{Kind: CompileError, Msg: fmt.Sprintf("gerl could not prepare this input for the interpreter (a bug in gerl: please report it, with the input): %v", r)}
		}
	}()
	sent, m0, err := RewriteSendMap(src, bangFunc)
	if err != nil {
		return nil, sourceErr(src, err)
	}
	if err := checkTopLevel(sent); err != nil {
		return nil, mappedErr(src, m0, err)
	}
	var pt promptTypes
	none := func(string) bool { return false }
	names := TermNames{Shadowed: none, Known: none}
	if tag != nil {
		pt = promptTypes{global: tag.globalType, decls: tag.declsOf}
		names = TermNames{Shadowed: tag.declared, Known: tag.known, Func: tag.declaredFunc}
	}
	termed, mt0, err := RewriteTermsMap(sent, names)
	if err != nil {
		return nil, mappedErr(src, m0, err)
	}
	m0 = m0.Then(mt0)
	termed, mr, err := RewriteRangeAssignsMap(termed)
	if err != nil {
		return nil, mappedErr(src, m0, err)
	}
	m0 = m0.Then(mr)
	termed, ms, err := RewriteSelectAssignsMap(termed)
	if err != nil {
		return nil, mappedErr(src, m0, err)
	}
	m0 = m0.Then(ms)
	indexed, mi, err := rewriteIndexes(termed, indexFunc, pt)
	if err != nil {
		return nil, mappedErr(src, m0, err)
	}
	m0 = m0.Then(mi)
	guarded, mg, err := RewriteGuardsMap(indexed, promptGuards())
	if err != nil {
		return nil, mappedErr(src, m0, err)
	}
	m1 := m0.Then(mg)
	looped, m2, err := FixLoopClosuresMap(guarded)
	if err != nil {
		return nil, mappedErr(src, m1, err)
	}
	tagged, mt, decls := looped, OffsetMap{}, []declSrc(nil)
	var generics []string
	if tag != nil {
		tagged, mt, decls, err = tagClosures(looped, tag.isGlobalVar, tag.register, nil)
		if err != nil {
			return nil, mappedErr(src, m1.Then(m2), err)
		}
		if err := genericRedeclared(src, decls, tag.declsOf, tag.used); err != nil {
			return nil, err
		}
		generics = genericUses(src, decls, tag.declsOf)
	}
	m2 = m2.Then(mt)
	goed, m3, err := RewriteGoMap(tagged, goFunc, goSpreadFunc)
	if err != nil {
		return nil, mappedErr(src, m1.Then(m2), err)
	}
	fixed, m4, err := RewriteTopLiteralsMap(goed, callFunc)
	if err != nil {
		return nil, mappedErr(src, m1.Then(m2).Then(m3), err)
	}
	blanked, m5, err := RewriteTopBlanksMap(fixed)
	if err != nil {
		return nil, mappedErr(src, m1.Then(m2).Then(m3).Then(m4), err)
	}
	selected, m6, err := RewriteTopStatementsMap(blanked)
	if err != nil {
		return nil, mappedErr(src, m1.Then(m2).Then(m3).Then(m4).Then(m5), err)
	}
	fixed = selected
	toSrc := m1.Then(m2).Then(m3).Then(m4).Then(m5).Then(m6)
	segs, err := Split(fixed)
	if err != nil {
		return nil, mappedErr(src, toSrc, err)
	}
	return &prepared{src: src, final: fixed, toSrc: toSrc, segments: segs, decls: decls, generics: generics}, nil
}

// sourceErr converts a *SourceError located in src.
func sourceErr(src string, err error) error {
	var se *SourceError
	if errors.As(err, &se) {
		return &EvalError{Kind: CompileError, Msg: se.Msg, Line: se.Line, Col: se.Col}
	}
	return &EvalError{Kind: CompileError, Msg: err.Error()}
}

// mappedErr converts a *SourceError located in a rewritten text.
func mappedErr(src string, m OffsetMap, err error) error {
	var se *SourceError
	if errors.As(err, &se) {
		line, col := LineCol(src, m.Original(se.Offset))
		return &EvalError{Kind: CompileError, Msg: se.Msg, Line: line, Col: col}
	}
	return &EvalError{Kind: CompileError, Msg: err.Error()}
}

// yaegiErrPos finds "L:C: message" in a yaegi error (with or without the
// "_.go:" file name yaegi gives an Eval'd source).
var yaegiErrPos = regexp.MustCompile(`^(?:[^\s:]*\.go:)?(\d+):(\d+): (.*)$`)

// compileError locates a compile error of seg in the user's input.
func (p *prepared) compileError(seg Segment, err error) error {
	msg := err.Error()
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		return p.located(seg, e.Pos.Line, e.Pos.Column, e.Msg)
	}
	if m := yaegiErrPos.FindStringSubmatch(strings.SplitN(msg, "\n", 2)[0]); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		return p.located(seg, line, col, m[3])
	}
	return &EvalError{Kind: CompileError, Msg: cleanMsg(msg)}
}

func (p *prepared) located(seg Segment, line, col int, msg string) error {
	switch msg {
	case "undefined: min", "undefined: max", "undefined: clear":
		// Left to yaegi, which lacks them: the rewrite (rewrite_builtin.go)
		// did not know the arguments' types.
		msg = strings.TrimPrefix(msg, "undefined: ") + " works at the prompt where gerl knows its arguments' types; declare a value from another package with its type first (var y float64 = math.Sqrt(x))"
	}
	if strings.HasPrefix(msg, "undefined type for ") {
		// A generic call the rewrite (rewrite_generic.go) could not
		// complete: an argument's type is unknown to gerl's check.
		msg += " (gerl could not infer the type arguments of this generic call: write them, as in Map[int, string](xs, strconv.Itoa))"
	}
	if strings.HasPrefix(msg, "not a generic type: ") {
		// yaegi instantiates a generic function once per statement when
		// its type arguments are written (or gerl wrote them).
		msg = "the interpreter could not instantiate this generic function here (it cannot instantiate one with two sets of type arguments in one statement, nor outside functions twice in one input): put each call in a statement of its own inside a function, or in an input of its own"
	}
	off := p.toSrc.Original(seg.InputOffset(line, col))
	l, c := LineCol(p.src, off)
	return &EvalError{Kind: CompileError, Msg: cleanMsg(msg), Line: l, Col: c}
}

// cleanMsg hides the rewrites' names from messages about the user's code,
// and says the gerl API's types by the names the user knows.
func cleanMsg(msg string) string {
	msg = strings.ReplaceAll(msg, bangFunc, "!")
	msg = strings.ReplaceAll(msg, captureFunc+"(", "(")
	msg = strings.ReplaceAll(msg, callFunc+"(", "(")
	msg = strings.ReplaceAll(msg, funFunc+"(", "(")
	msg = hideGuards(msg)
	return gerlNames(msg)
}

// captureLastExpr rewrites a statement list whose last statement is an
// expression E into the same list ending in __gerl_result(E), so the shell
// learns the value(s) of E. A last statement that binds variables (x :=
// E, x, y = E, x += 1) gets __gerl_result(x, y) after it, so the shell
// prints what was bound, as erl prints X = E. It reports false when the
// last statement is neither. A call without results makes the rewritten
// text fail to compile; the caller then compiles the original instead.
func captureLastExpr(stmts string) (string, bool) {
	const prefix = "package p; func _() {\n"
	f, err := parser.ParseFile(token.NewFileSet(), "", prefix+stmts+"\n}", parser.SkipObjectResolution)
	if err != nil || len(f.Decls) != 1 {
		return "", false
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(body) == 0 {
		return "", false
	}
	last := body[len(body)-1]
	start := int(last.Pos()) - 1 - len(prefix)
	end := int(last.End()) - 1 - len(prefix)
	if start < 0 || end > len(stmts) || start >= end {
		return "", false
	}
	switch st := last.(type) {
	case *ast.ExprStmt:
		if isPrintCall(st.X) {
			return "", false
		}
		return stmts[:start] + captureFunc + "(" + stmts[start:end] + ")" + stmts[end:], true
	case *ast.AssignStmt:
		names := boundNames(st)
		if len(names) == 0 {
			return "", false
		}
		return stmts[:end] + "; " + captureFunc + "(" + strings.Join(names, ", ") + ")" + stmts[end:], true
	}
	return "", false
}

// boundNames returns the variables an assignment binds, when they are all
// plain names (not x[i] = v, not _ or the sink that stands for it).
func boundNames(st *ast.AssignStmt) []string {
	var names []string
	for _, l := range st.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok {
			return nil
		}
		if id.Name != "_" && id.Name != blankSink {
			names = append(names, id.Name)
		}
	}
	return names
}

// isPrintCall reports whether x is fmt.Print, Println or Printf: their
// results (bytes written, nil) are noise at a prompt.
func isPrintCall(x ast.Expr) bool {
	call, ok := x.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "fmt" && (sel.Sel.Name == "Print" || sel.Sel.Name == "Println" || sel.Sel.Name == "Printf")
}

// unshadow keeps the built-ins callable after a variable of the same name
// was declared: yaegi makes the variables of a loop typed at the prompt
// (for i := ...) global, where they hide i(); and pid := spawn(f) hides
// pid(). A call of a built-in whose name is bound to something that is not
// a function cannot be valid Go, so it is taken to mean the built-in.
func (s *Session) unshadow(src string) string {
	toks := scanTokens(src)
	var globals map[string]reflect.Value
	var edits []int // offsets of identifiers to qualify
	for i, t := range toks {
		if t.tok != token.IDENT || i+1 >= len(toks) || toks[i+1].tok != token.LPAREN {
			continue
		}
		if i > 0 && (toks[i-1].tok == token.PERIOD || toks[i-1].tok == token.FUNC) {
			continue
		}
		if !s.isBuiltin(t.lit) {
			continue
		}
		if globals == nil {
			globals = s.globals()
		}
		if v, bound := globals[t.lit]; !bound || (v.IsValid() && v.Kind() == reflect.Func) {
			continue
		}
		edits = append(edits, t.off)
	}
	for i := len(edits) - 1; i >= 0; i-- {
		src = src[:edits[i]] + shellAlias + "." + src[edits[i]:]
	}
	return src
}
