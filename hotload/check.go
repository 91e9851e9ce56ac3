package hotload

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"reflect"
	"strconv"
	"strings"
)

// goVersion is the language the interpreter implements: yaegi v0.16.1
// has no min, max or clear and no range over integers or functions.
const goVersion = "go1.20"

// typeCheck type-checks the module's (rewritten) files with go/types and
// returns every problem, in source order: the whole list at once, with
// Go's wording, before the interpreter sees the code. display maps a file
// name to the path shown.
func typeCheck(p *parsed, cache *typeCache, modules map[string]map[string]reflect.Value, display func(string) string) []Problem {
	fset := token.NewFileSet()
	var files []*ast.File
	var problems []Problem
	for name, text := range p.texts {
		f, err := parser.ParseFile(fset, name, text, 0)
		if err != nil {
			// The original parsed; only the rewrite could break it.
			problems = append(problems, Problem{File: display(name), Msg: "internal: rewritten source: " + err.Error()})
			continue
		}
		files = append(files, f)
	}
	if len(problems) > 0 {
		return problems
	}
	imports := importNames(fset, files)
	conf := types.Config{
		Importer:  cache.importer(modules),
		GoVersion: goVersion,
		Error: func(err error) {
			var te types.Error
			if !errors.As(err, &te) {
				problems = append(problems, Problem{Msg: err.Error()})
				return
			}
			pos := te.Fset.Position(te.Pos)
			if pos.Filename == selfFile || dueToPartial(te.Msg, imports[pos.Filename], cache) {
				return
			}
			problems = append(problems, Problem{display(pos.Filename), pos.Line, pos.Column, p.fixMessage(te.Msg)})
		},
	}
	_, _ = conf.Check(p.name, fset, files, nil)
	return problems
}

// importNames maps each file to the names it imports packages under, and
// those to the packages' paths.
func importNames(fset *token.FileSet, files []*ast.File) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, f := range files {
		file := fset.Position(f.Package).Filename
		out[file] = map[string]string{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			name := pkgName(path)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			out[file][name] = path
		}
	}
	return out
}

// dueToPartial reports whether a checker message is about a name missing
// from a package the checker sees only partly (undefined: pkg.Name),
// which the interpreter may well have.
func dueToPartial(msg string, imports map[string]string, cache *typeCache) bool {
	rest, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(rest, ".")
	return ok && imports[name] != "" && cache.isPartial(imports[name])
}
