package eval

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

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
}

// prepare rewrites and splits src. Errors are *EvalError (CompileError)
// located in src.
func prepare(src string) (*prepared, error) {
	sent, m0, err := RewriteSendMap(src, bangFunc)
	if err != nil {
		return nil, sourceErr(src, err)
	}
	guarded, mg, err := RewriteGuardsMap(sent, promptGuards())
	if err != nil {
		return nil, mappedErr(src, m0, err)
	}
	m1 := m0.Then(mg)
	looped, m2, err := FixLoopClosuresMap(guarded)
	if err != nil {
		return nil, mappedErr(src, m1, err)
	}
	goed, m3, err := RewriteGoMap(looped, goFunc, goSpreadFunc)
	if err != nil {
		return nil, mappedErr(src, m1.Then(m2), err)
	}
	fixed, m4, err := RewriteTopLiteralsMap(goed, callFunc)
	if err != nil {
		return nil, mappedErr(src, m1.Then(m2).Then(m3), err)
	}
	toSrc := m1.Then(m2).Then(m3).Then(m4)
	segs, err := Split(fixed)
	if err != nil {
		return nil, mappedErr(src, toSrc, err)
	}
	return &prepared{src: src, final: fixed, toSrc: toSrc, segments: segs}, nil
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
	msg = hideGuards(msg)
	return gerlNames(msg)
}

// captureLastExpr rewrites a statement list whose last statement is an
// expression E into the same list ending in __gerl_result(E), so the shell
// learns the value(s) of E. It reports false when the last statement is not
// an expression. A call without results makes the rewritten text fail to
// compile; the caller then compiles the original instead.
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
	es, ok := body[len(body)-1].(*ast.ExprStmt)
	if !ok || isPrintCall(es.X) {
		return "", false
	}
	start := int(es.Pos()) - 1 - len(prefix)
	end := int(es.End()) - 1 - len(prefix)
	if start < 0 || end > len(stmts) || start >= end {
		return "", false
	}
	return stmts[:start] + captureFunc + "(" + stmts[start:end] + ")" + stmts[end:], true
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
