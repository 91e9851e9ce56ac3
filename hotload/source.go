package hotload

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"sort"
	"strconv"
	"strings"

	"github.com/gerl-dev/gerl/eval"
)

// Qualified calls inside a module. A Go package cannot import itself, so
// module counter cannot name counter.Loop by importing anything. Erlang's
// loop idiom needs exactly that: a qualified self-call, which goes to the
// newest version. The loader therefore rewrites the source before checking
// and compiling it (keeping every byte offset, so file:line:col stay true):
//
//   - counter.F where F is an exported, non-generic function of the module,
//     inside a function body, becomes Counter_F (the same length: the dot
//     becomes an underscore and the first letter is upper-cased), a
//     package-level variable of F's type declared at the end of F's file.
//     A generated init (in a file sorted before the others, so it runs
//     first) sets it to F, and the commit sets it to F's trampoline: from
//     then on the call goes to the module's newest version, as counter.F
//     does from any other module or the prompt.
//   - counter.X for anything else (a type, a constant, a variable, a
//     generic function), and counter.F in the initializer of a
//     package-level variable (which runs before any init), is a local
//     reference: "counter." is replaced by spaces.
//
// This happens only where counter is otherwise undefined: not in a file
// that imports something under that name, nor in a package that declares
// it.

// selfFile is the generated file; "!" sorts before the names of Go files,
// so its init runs before the module's own.
const selfFile = "!gerl_self.go"

// parsed is a module's source ready to check and compile.
type parsed struct {
	name  string
	texts map[string]string // file -> text to compile (rewritten), with selfFile
	// selfFuncs are the functions reached through qualified self-calls,
	// each with its variable (Counter_F).
	selfFuncs map[string]string
	// imports maps each import path to where the files import it.
	imports map[string][]importSite
}

type importSite struct {
	file      string
	line, col int
}

// selfVar is the variable a qualified self-call of fn goes through.
func selfVar(module, fn string) string {
	return strings.ToUpper(module[:1]) + module[1:] + "_" + fn
}

// parseModule parses src and rewrites its qualified self-calls. display
// maps a file name to the path shown in problems.
func parseModule(src *source, display func(string) string) (*parsed, error) {
	fset := token.NewFileSet()
	names := src.fileList()
	files := make([]*ast.File, 0, len(names))
	var problems []Problem
	texts := make(map[string]string, len(names))
	for _, name := range names {
		texts[name] = rewriteRanges(rewriteSends(src.files[name]))
		f, err := parser.ParseFile(fset, name, texts[name], parser.AllErrors)
		var list scanner.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				problems = append(problems, Problem{display(name), e.Pos.Line, e.Pos.Column, e.Msg})
			}
			continue
		} else if err != nil {
			problems = append(problems, Problem{File: display(name), Msg: err.Error()})
			continue
		}
		files = append(files, f)
	}
	if len(problems) > 0 {
		return nil, loadErr(src.name, ErrSyntax, problems, nil)
	}
	if ps := checkPackageNames(src.name, files, fset, display); len(ps) > 0 {
		return nil, loadErr(src.name, ErrPackageName, ps, nil)
	}
	p := &parsed{name: src.name, texts: map[string]string{}, selfFuncs: map[string]string{}, imports: map[string][]importSite{}}
	decls := packageDecls(files)
	var edits = map[string][]edit{}
	for _, f := range files {
		name := fset.Position(f.Package).Filename
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			pos := fset.Position(imp.Path.Pos())
			p.imports[path] = append(p.imports[path], importSite{display(name), pos.Line, pos.Column})
		}
		es, ps := selfRefs(src.name, f, fset, decls, p.selfFuncs)
		edits[name] = es
		for i := range ps {
			ps[i].File = display(name)
		}
		problems = append(problems, ps...)
	}
	for fn, v := range p.selfFuncs {
		if _, taken := decls.kinds[v]; taken {
			problems = append(problems, Problem{Msg: fmt.Sprintf("%s: the name %s is taken by the qualified calls of %s.%s; rename it", src.name, v, src.name, fn)})
		}
	}
	if len(problems) > 0 {
		return nil, loadErr(src.name, ErrType, problems, nil)
	}
	for _, name := range names {
		p.texts[name] = applyEdits(texts[name], edits[name])
	}
	if len(p.selfFuncs) > 0 {
		fns := make([]string, 0, len(p.selfFuncs))
		for fn := range p.selfFuncs {
			fns = append(fns, fn)
		}
		sort.Strings(fns)
		var init strings.Builder
		fmt.Fprintf(&init, "package %s\n\nfunc init() {\n", src.name)
		for _, fn := range fns {
			fd := decls.funcs[fn]
			file := fset.Position(fd.Pos()).Filename
			var typ bytes.Buffer
			if err := printer.Fprint(&typ, fset, fd.Type); err != nil {
				return nil, loadErr(src.name, ErrType, nil, err)
			}
			p.texts[file] += fmt.Sprintf("\n\nvar %s %s\n", p.selfFuncs[fn], typ.String())
			fmt.Fprintf(&init, "\t%s = %s\n", p.selfFuncs[fn], fn)
		}
		init.WriteString("}\n")
		p.texts[selfFile] = init.String()
	}
	return p, nil
}

// rewriteSends turns a module file's sends, pid ! msg, into calls of the
// send built-in, as at the prompt (eval.RewriteSend): lines do not move,
// columns after a send on its line do. A file the rewrite cannot read is
// left as it is, for the parser to say what is wrong with it.
func rewriteSends(text string) string {
	if !strings.Contains(text, "!") {
		return text
	}
	out, changed, err := eval.RewriteSend(text, eval.SendBuiltin)
	if err != nil || !changed {
		return text
	}
	return out
}

// checkPackageNames checks that every file says package name.
func checkPackageNames(name string, files []*ast.File, fset *token.FileSet, display func(string) string) []Problem {
	var ps []Problem
	for _, f := range files {
		if f.Name.Name == name {
			continue
		}
		pos := fset.Position(f.Name.Pos())
		ps = append(ps, Problem{display(pos.Filename), pos.Line, pos.Column,
			fmt.Sprintf("package %s, but the module is %s (a module's package is named after its file or directory)", f.Name.Name, name)})
	}
	return ps
}

// decls are a package's top-level names.
type decls struct {
	kinds map[string]string        // name -> func, type, var, const
	funcs map[string]*ast.FuncDecl // exported non-generic functions
}

func packageDecls(files []*ast.File) decls {
	d := decls{kinds: map[string]string{}, funcs: map[string]*ast.FuncDecl{}}
	for _, f := range files {
		for _, decl := range f.Decls {
			switch x := decl.(type) {
			case *ast.FuncDecl:
				if x.Recv != nil || x.Name.Name == "init" || x.Name.Name == "_" {
					continue
				}
				d.kinds[x.Name.Name] = "func"
				if x.Name.IsExported() && x.Type.TypeParams == nil {
					d.funcs[x.Name.Name] = x
				}
			case *ast.GenDecl:
				for _, spec := range x.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						d.kinds[s.Name.Name] = "type"
					case *ast.ValueSpec:
						for _, n := range s.Names {
							d.kinds[n.Name] = x.Tok.String()
						}
					}
				}
			}
		}
	}
	return d
}

// edit replaces src[off:end] with text of the same length.
type edit struct {
	off, end int
	text     string
}

func applyEdits(src string, edits []edit) string {
	if len(edits) == 0 {
		return src
	}
	b := []byte(src)
	for _, e := range edits {
		copy(b[e.off:e.end], e.text)
	}
	return string(b)
}

// selfRefs finds the qualified self-references of file f (see the comment
// at the top of this file) and returns the edits that rewrite them. It
// records the functions called through their variable in selfFuncs.
func selfRefs(module string, f *ast.File, fset *token.FileSet, d decls, selfFuncs map[string]string) ([]edit, []Problem) {
	if _, declared := d.kinds[module]; declared {
		return nil, nil
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndexByte(path, '/')+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == module {
			return nil, nil
		}
	}
	var edits []edit
	var problems []Problem
	// ref rewrites sel if it is a self-reference; viaVar says whether a
	// function call may go through its variable there.
	ref := func(sel *ast.SelectorExpr, viaVar bool) bool {
		x, ok := sel.X.(*ast.Ident)
		if !ok || x.Name != module || x.Obj != nil {
			return false
		}
		off := fset.Position(x.Pos()).Offset
		name := sel.Sel.Name
		switch {
		case !sel.Sel.IsExported():
			pos := fset.Position(sel.Pos())
			problems = append(problems, Problem{"", pos.Line, pos.Column,
				fmt.Sprintf("%s.%s: %s is not exported (a qualified call needs an exported name)", module, name, name)})
		case viaVar && d.funcs[name] != nil:
			v := selfVar(module, name)
			selfFuncs[name] = v
			edits = append(edits, edit{off, off + len(v), v})
		default:
			edits = append(edits, edit{off, off + len(module) + 1, strings.Repeat(" ", len(module)+1)})
		}
		return true
	}
	var walk func(n ast.Node, viaVar bool)
	walk = func(n ast.Node, viaVar bool) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				if !viaVar {
					// A function literal in a package-level initializer
					// runs later, when the variables are set.
					walk(x.Type, false)
					walk(x.Body, true)
					return false
				}
			case *ast.SelectorExpr:
				return !ref(x, viaVar)
			}
			return true
		})
	}
	for _, decl := range f.Decls {
		switch x := decl.(type) {
		case *ast.FuncDecl:
			if x.Recv != nil {
				walk(x.Recv, false)
			}
			walk(x.Type, false)
			if x.Body != nil {
				walk(x.Body, true)
			}
		case *ast.GenDecl:
			// Package-level initializers run before any init, when the
			// variables are not set yet: references there stay local.
			walk(x, false)
		}
	}
	return edits, problems
}

// fixMessage replaces the self-call variables in a diagnostic with the
// qualified names the source says.
func (p *parsed) fixMessage(msg string) string {
	for fn, v := range p.selfFuncs {
		msg = strings.ReplaceAll(msg, v, p.name+"."+fn)
	}
	msg = strings.ReplaceAll(msg, genericPrefix, "") // generics.go
	// A type parameter of a package checked from source (slices.Sort's
	// E) has no position the module's check can show.
	return strings.ReplaceAll(msg, " (declared at -)", "")
}

// rewriteRanges makes the range loops of text that yaegi cannot run as Go
// does into loops it can (eval.RewriteRangesMap): range over an integer,
// and range loops that assign to variables declared before them; and the
// select cases that assign what they receive into ones that declare
// (eval.RewriteSelectAssignsMap). Lines do
// not move. Text that does not parse is returned as it is, for the parse
// to report, and so is text whose rewrite panics (a bug in gerl).
func rewriteRanges(text string) (out string) {
	defer func() {
		if recover() != nil {
			out = text
		}
	}()
	out, _, err := eval.RewriteRangesMap(text)
	if err != nil {
		return text
	}
	// And a select case that assigns what it receives (case v = <-ch).
	selected, _, err := eval.RewriteSelectAssignsMap(out)
	if err != nil {
		return out
	}
	return selected
}
