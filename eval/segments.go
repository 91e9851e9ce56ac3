package eval

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"maps"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"

	yaegi "github.com/traefik/yaegi/interp"
)

// input is one input being run: its segments, the interpreter it runs in
// and what it imports. The goroutine that runs it (Session.run) touches no
// other state of the session, so that an input left behind (abandon) cannot
// race with the inputs after it; the session takes imported back when the
// input returns.
type input struct {
	s        *Session
	ctx      context.Context
	yi       *yaegi.Interpreter
	ctl      *runControl
	frame    *globalFrame
	prep     *prepared
	imported map[string]string         // a copy of the session's, updated as segments run
	exit     atomic.Pointer[EvalError] // set by a guard that ends the input
}

func (s *Session) newInput(ctx context.Context, prep *prepared) *input {
	return &input{s: s, ctx: ctx, yi: s.yi, ctl: s.ctl, frame: s.frame, prep: prep, imported: maps.Clone(s.imported)}
}

// runSegments compiles and runs the segments in order: imports are
// deduplicated and standard packages imported when used, and the last
// expression's value captured.
func (in *input) runSegments() error {
	prep := in.prep
	for i, seg := range prep.segments {
		text, skip := in.dropReimports(seg)
		if skip {
			continue
		}
		if err := in.autoImport(seg); err != nil {
			return prep.compileError(seg, err)
		}
		undo := in.unshadowTypes(seg)
		last := i == len(prep.segments)-1
		var prog *yaegi.Program
		var err error
		if last && seg.Kind == Stmts {
			if capture, ok := captureLastExpr(text); ok {
				prog, err = in.compile(capture)
			}
		}
		if prog == nil {
			prog, err = in.compile(stmtsText(seg, text))
		}
		if err != nil {
			undo()
			return prep.compileError(seg, in.explain(seg, err))
		}
		_, err = in.execute(prog)
		if in.ctx.Err() != nil {
			// Interrupted: a stopped interpreter returns from Execute as
			// if the code had finished. Touch nothing more.
			return &EvalError{Kind: Interrupted, Value: ErrInterrupted}
		}
		if err != nil {
			return runtimeError(err)
		}
		if seg.Kind == Decl {
			for name, path := range importsOf(seg) {
				in.imported[name] = path
			}
		}
	}
	return nil
}

// unshadowTypes lets the types seg declares at its top level replace
// the types of the same name, built-in or declared by an earlier input
// (see symbols.dropType), and returns what puts those back, for a segment
// that does not compile. A type declared again as it was (an input
// pasted twice) stays the type it was, so that the values made of it
// still fit the code that takes it.
func (in *input) unshadowTypes(seg Segment) (undo func()) {
	undo = func() {}
	if !strings.Contains(seg.Text, "type") || in.yi != in.s.yi {
		return undo
	}
	f, shift := parseSegment(seg)
	var undos []func()
	for _, d := range topDecls(seg, f) {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			if in.s.declaredAs(ts.Name.Name, "type "+seg.Text[int(ts.Pos())-1-shift:int(ts.End())-1-shift]) {
				continue
			}
			if u := in.s.syms.dropType(ts.Name.Name); u != nil {
				undos = append(undos, u)
			}
		}
	}
	return func() {
		for _, u := range undos {
			u()
		}
	}
}

// stmtsText is the text of seg (text, as runSegments has it) that yaegi
// compiles. Statements that begin with func (func() {...}(), a function
// literal called at once) get a ";" in front: yaegi v0.16.1 takes an input
// that begins with func for declarations, and when it does not parse as
// such, declares it as the body of a function main, which it then runs
// again at the end of every later input (its Program adds the main
// package's main to the functions every run calls).
func stmtsText(seg Segment, text string) string {
	if seg.Kind == Stmts && firstTok(text) == token.FUNC {
		return ";" + text
	}
	return text
}

// firstTok is the first token of src, comments skipped: one token
// scanned, not the whole input (every statement segment asks).
func firstTok(src string) token.Token {
	fset := token.NewFileSet()
	var s scanner.Scanner
	s.Init(fset.AddFile("", fset.Base(), len(src)), []byte(src), nil, 0)
	_, tok, _ := s.Scan()
	return tok
}

// topDecls returns the declarations at the top level of seg, parsed as
// f (parseSegment; nil: none): those of a Decl segment, and the
// declaration statements of a Stmts one (type T ... typed at the prompt
// is one).
func topDecls(seg Segment, f *ast.File) []ast.Decl {
	if f == nil {
		return nil
	}
	if seg.Kind != Stmts {
		return f.Decls
	}
	var decls []ast.Decl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			for _, st := range fd.Body.List {
				if ds, ok := st.(*ast.DeclStmt); ok {
					decls = append(decls, ds.Decl)
				}
			}
		}
	}
	return decls
}

// compile compiles src, turning a panic inside yaegi's compiler (some
// inputs cause one) into an error.
func (in *input) compile(src string) (prog *yaegi.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, compilePanic(r)
		}
	}()
	return in.yi.Compile(src)
}

// incompleteType is yaegi's panic for a name that is not a value where
// a value must be, in a composite literal: []int{x, zzz}.
var incompleteType = regexp.MustCompile(`CFG post-order panic: (\d+:\d+): incomplete type ([\pL_][\pL\pN_]*)$`)

// compilePanic is the error of a panic inside yaegi's compiler: in gerl's
// words when it is one gerl knows, positioned for compileError.
func compilePanic(r any) error {
	if m := incompleteType.FindStringSubmatch(fmt.Sprint(r)); m != nil {
		return fmt.Errorf("%s: undefined: %s (or not a value)", m[1], m[2])
	}
	if fmt.Sprint(r) == "nil type" {
		return errors.New("the interpreter failed to compile this input (it found no type for a value): outside a function this is most often a two-value form, v, ok := x.(T), m[k] or <-ch, of a value whose type gerl could not name; write it inside a function, or declare the value with its type first")
	}
	return fmt.Errorf("the interpreter failed to compile this input: %v", r)
}

// execute runs a compiled segment, once the global frame has room for it
// (see globalFrame).
func (in *input) execute(prog *yaegi.Program) (reflect.Value, error) {
	in.frame.prepare()
	return in.yi.Execute(prog)
}

// globals returns the interpreter's global variables (see
// Session.globals).
func (in *input) globals() (g map[string]reflect.Value) {
	defer func() {
		if recover() != nil {
			g = map[string]reflect.Value{}
		}
	}()
	return in.yi.Globals()
}

// dropReimports removes from an import segment the imports the prompt
// already has, so importing a package twice is not an error. It reports
// skip when nothing is left.
func (in *input) dropReimports(seg Segment) (string, bool) {
	if seg.Kind != Decl {
		return seg.Text, false
	}
	imps := importsOf(seg)
	if len(imps) == 0 {
		return seg.Text, false
	}
	var fresh []string
	for name, path := range imps {
		if in.imported[name] != path {
			fresh = append(fresh, fmt.Sprintf("%s %q", name, path))
		}
	}
	if len(fresh) == len(imps) {
		return seg.Text, false
	}
	if len(fresh) == 0 {
		return "", true
	}
	return "import (\n" + strings.Join(fresh, "\n") + "\n)", false
}

// autoImport imports the standard packages seg uses without importing.
func (in *input) autoImport(seg Segment) error {
	var globals map[string]reflect.Value
	for _, name := range selectorBases(seg) {
		if _, ok := in.imported[name]; ok {
			continue
		}
		path, ok := in.s.stdPkgs[name]
		if !ok {
			continue
		}
		if globals == nil {
			globals = in.globals()
		}
		if _, shadowed := globals[name]; shadowed {
			continue
		}
		prog, err := in.compile(fmt.Sprintf("import %q", path))
		if err == nil {
			_, err = in.execute(prog)
		}
		if err != nil {
			return err
		}
		in.imported[name] = path
	}
	return nil
}

// explain replaces a compile error of seg with gerl's when gerl knows
// better: a module's generic function or type named at the prompt
// (genericOfModule), and yaegi's "constant definition loop", which it
// reports for a global assigned from an undefined name, with "undefined:
// name".
func (in *input) explain(seg Segment, err error) error {
	if g := in.s.genericOfModule(seg); g != nil {
		return g
	}
	if m := noSymbol.FindStringSubmatch(err.Error()); m != nil {
		// yaegi's "package strings "strings" has no symbol Nope", in Go's
		// words; a module's variable is not exported (hotload.md).
		msg := fmt.Sprintf("%sundefined: %s.%s", m[1], m[2], m[4])
		if in.s.env.isModule(m[3]) {
			msg += fmt.Sprintf(" (module %s exports its functions, types and constants; not its variables, which each version has its own of: keep state in a process)", m[2])
		}
		return errors.New(msg)
	}
	if !strings.Contains(err.Error(), "constant definition loop") {
		return err
	}
	globals := in.globals()
	for _, id := range unresolved(seg) {
		name := id.Name
		if _, ok := globals[name]; ok || isUniverse(name) || in.s.isBuiltin(name) || in.imported[name] != "" {
			continue
		}
		if _, ok := termTypes()[name]; ok || name == bangFunc || name == captureFunc || name == callFunc || name == goFunc || name == goSpreadFunc || name == funFunc || name == shellAlias ||
			name == guardEnterFunc || name == guardTickFunc || name == indexFunc || name == indexTupleFunc || name == indexMakeFunc || name == guardCounter || name == guardTop || name == blankSink || name == minFunc || name == maxFunc || name == clearFunc {
			continue
		}
		_, shift := parseSegment(seg)
		off := int(id.Pos()) - 1 - shift
		line, col := LineCol(seg.Text, off)
		return fmt.Errorf("%d:%d: undefined: %s", line, col+seg.yaegiShift()*boolInt(line == 1), name)
	}
	return err
}

// noSymbol is yaegi's error for a name a package does not have.
var noSymbol = regexp.MustCompile(`^((?:[^\s:]*\.go:)?\d+:\d+: )package (\w+) "([^"]+)" has no symbol (\w+)$`)

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
