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

// partialPackages are the standard packages yaegi provides partly as
// interpreted source (their generic functions and types), which the
// symbol tables therefore lack.
var partialPackages = map[string]bool{
	"cmp": true, "maps": true, "slices": true, "sync": true, "sync/atomic": true,
}

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
	partial := partialNames(fset, files)
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
			if pos.Filename == selfFile || dueToPartial(te.Msg, pos.Filename, partial) {
				return
			}
			problems = append(problems, Problem{display(pos.Filename), pos.Line, pos.Column, p.fixMessage(te.Msg)})
		},
	}
	_, _ = conf.Check(p.name, fset, files, nil)
	return problems
}

// partialNames maps each file to the names under which it imports a
// partial package.
func partialNames(fset *token.FileSet, files []*ast.File) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, f := range files {
		file := fset.Position(f.Package).Filename
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !partialPackages[path] {
				continue
			}
			name := pkgName(path)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			if out[file] == nil {
				out[file] = map[string]bool{}
			}
			out[file][name] = true
		}
	}
	return out
}

// dueToPartial reports whether a checker message is about a name missing
// from a partial package (undefined: slices.Index), which the interpreter
// may well have.
func dueToPartial(msg, file string, partial map[string]map[string]bool) bool {
	rest, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok {
		return false
	}
	pkg, _, ok := strings.Cut(rest, ".")
	return ok && partial[file][pkg]
}
