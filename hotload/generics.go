package hotload

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"sort"
	"strings"

	"github.com/gerl-dev/gerl/eval"
)

// A module's exported generic functions and types are compiled under
// names of their own that are not exported: yaegi (v0.16.1) panics when
// it lists a package's symbols and one of them is generic ("call of
// MakeFunc with non-Func type"), and a module whose symbols cannot be
// listed cannot load. Nothing outside the module could use them anyway:
// the prompt and other modules reach a module through values, and a
// generic function is not a value until it is instantiated. The module's
// own code uses them as written.

// genericPrefix starts the name a generic function or type is compiled
// under: gerl_generic_Map for Map.
const genericPrefix = "gerl_generic_"

// renameGenerics compiles the names of generic in text (a file of the
// module, as rewritten for the interpreter) under genericPrefix: the
// package-level declarations and every identifier that refers to them,
// not a field, a method, a selector's name or a local of the same name.
// Lines do not move. Text that does not parse is returned as it is.
func renameGenerics(text string, generic map[string]bool) string {
	if len(generic) == 0 {
		return text
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", text, 0)
	if err != nil {
		return text
	}
	top := map[any]bool{} // the package-level declarations of generic names
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				top[d] = true
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				if ts, ok := spec.(*ast.TypeSpec); ok {
					top[ts] = true
				}
			}
		}
	}
	skip := map[*ast.Ident]bool{} // names that are not references
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			skip[x.Sel] = true
		case *ast.CompositeLit:
			// A key that is a bare name is a struct field's (the parser
			// may resolve it to a package-level name all the same): a
			// generic function or type is never a value to key by.
			for _, e := range x.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						skip[id] = true
					}
				}
			}
		case *ast.FuncDecl:
			if x.Recv != nil {
				skip[x.Name] = true
			}
		case *ast.Field:
			for _, id := range x.Names {
				skip[id] = true
			}
		case *ast.LabeledStmt:
			skip[x.Label] = true
		case *ast.BranchStmt:
			if x.Label != nil {
				skip[x.Label] = true
			}
		}
		return true
	})
	var at []int
	ast.Inspect(f, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || !generic[id.Name] || skip[id] {
			return true
		}
		// Unresolved: declared in another file of the package. Resolved:
		// only to the package-level declaration, not a local of the name.
		if id.Obj == nil || top[id.Obj.Decl] {
			at = append(at, fset.Position(id.Pos()).Offset)
		}
		return true
	})
	if len(at) == 0 {
		return text
	}
	sort.Ints(at)
	var b strings.Builder
	last := 0
	for _, off := range at {
		b.WriteString(text[last:off])
		b.WriteString(genericPrefix)
		last = off
	}
	b.WriteString(text[last:])
	return b.String()
}

// undefinedQualified is go/types' message for a name a package does not
// export.
var undefinedQualified = regexp.MustCompile(`^undefined: (\w+)\.(\w+)$`)

// explainGenerics says, in place of "undefined: gen.Map", that a loaded
// module's exported generic function or type cannot be used by another.
func (s *Server) explainGenerics(problems []Problem) {
	for i, p := range problems {
		m := undefinedQualified.FindStringSubmatch(p.Msg)
		if m == nil {
			continue
		}
		s.mu.RLock()
		mod := s.mods[m[1]]
		s.mu.RUnlock()
		if mod == nil {
			continue
		}
		if cur := mod.current.Load(); cur != nil && eval.ExportedGenerics(cur.src.files)[m[2]] {
			problems[i].Msg = eval.ModuleGenericMsg(m[1], m[2])
		}
	}
}
