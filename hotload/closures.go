package hotload

import (
	"fmt"
	"go/ast"
	"go/types"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"

	"github.com/gerl-dev/gerl/eval"
)

// Closures a module makes travel to other nodes as Erlang's funs of a
// module do (eval/ship_module.go tells the whole scheme): each function
// literal of the module that can travel gets a maker, a package-level
// function of the literal's captured variables that returns the literal,
// appended to its file (lines do not move), and the literal is tagged so
// that its closures know their module, version and maker. A node that
// receives such a closure calls the maker of the same version of the
// module, loaded there by nl, with copies of the captured variables.
//
// A maker's parameters are the captured variables with their types, which
// only the type checker knows (k := 3 is an int); a literal whose captured
// types the module's top level cannot name (a type declared in a function,
// a generic function's type parameter, a package the file does not import)
// gets no maker: its closures run here but do not travel, and spawn says
// why.

// makerPlan is what the makers add to a module: for each file, the makers'
// source and, by the byte offset of each literal (the original and its
// copy in the maker), the maker's number or why it has none.
type makerPlan struct {
	texts map[string]string // file -> the makers' source, appended to it
	lits  map[string]map[int]litMaker
	n     int      // how many makers
	chk   *checked // nil: no makers
	none  string   // why there are none, if so
}

type litMaker struct {
	index    int // -1: none
	why      string
	captures []string // its maker's parameters
}

// planMakers plans the makers of module p, which chk type-checked.
func planMakers(p *parsed, chk *checked) *makerPlan {
	plan := &makerPlan{texts: map[string]string{}, lits: map[string]map[int]litMaker{}, chk: chk}
	if chk == nil {
		plan.none = "gerl could not type-check its module"
		return plan
	}
	names := make([]string, 0, len(p.texts))
	for name := range p.texts {
		if name != selfFile {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		text, f := p.texts[name], chk.files[name]
		if f == nil || !strings.Contains(text, "func") {
			continue
		}
		lits, err := eval.ModuleLiterals(text, chk.std(name))
		if err != nil || len(lits) == 0 {
			continue
		}
		byOff := map[int]litMaker{}
		var b strings.Builder
		for _, l := range lits {
			params, why := chk.makerParams(name, f, l)
			if why != "" {
				byOff[l.Start] = litMaker{index: -1, why: why}
				continue
			}
			i := plan.n
			plan.n++
			fmt.Fprintf(&b, "\n\nfunc %s%d(%s) any {\n\treturn ", eval.MakerPrefix, i, strings.Join(params, ", "))
			byOff[l.Start] = litMaker{index: i, captures: l.Captures}
			byOff[len(text)+b.Len()] = litMaker{index: i, captures: l.Captures}
			b.WriteString(text[l.Start:l.End])
			b.WriteString("\n}\n")
		}
		plan.lits[name] = byOff
		if b.Len() > 0 {
			plan.texts[name] = b.String()
		}
	}
	return plan
}

// maker returns how file tags its literals: by the literal's byte offset
// in the text the loop rewrite made of it (fixed maps those back), and
// the variables the tagging found it captures, which must be its maker's.
func (p *makerPlan) maker(file string, fixed eval.OffsetMap) func(start int, captures []string) (int, string) {
	return func(start int, captures []string) (int, string) {
		m, ok := p.lits[file][fixed.Original(start)]
		switch {
		case p.none != "":
			return -1, p.none
		case !ok:
			return -1, "gerl could not read it"
		case m.index >= 0 && !slices.Equal(m.captures, captures):
			return -1, "gerl could not read what it captures"
		}
		return m.index, m.why
	}
}

// makerParams returns the parameters of literal l's maker, "k int", or
// why it cannot have one.
func (chk *checked) makerParams(file string, f *ast.File, l eval.ModuleLit) ([]string, string) {
	if len(l.Local) > 0 {
		return nil, fmt.Sprintf("it uses %s, declared in the function around it", strings.Join(l.Local, ", "))
	}
	lit := chk.literalAt(f, l.Start)
	if lit == nil {
		return nil, "gerl could not read it"
	}
	qual := chk.qualifier(file)
	params := make([]string, 0, len(l.Captures))
	for _, name := range l.Captures {
		t := chk.capturedType(lit, name)
		if t == nil {
			return nil, fmt.Sprintf("gerl could not find the type of its captured variable %s", name)
		}
		if !chk.nameable(t, qual, map[types.Type]bool{}) {
			return nil, fmt.Sprintf("its captured variable %s is a %s, a type the module's top level cannot name", name, types.TypeString(t, qual))
		}
		params = append(params, name+" "+types.TypeString(t, qual))
	}
	return params, ""
}

// literalAt finds the function literal at byte offset off of f.
func (chk *checked) literalAt(f *ast.File, off int) (found *ast.FuncLit) {
	ast.Inspect(f, func(n ast.Node) bool {
		if found != nil || n == nil {
			return false
		}
		if o := chk.fset.Position(n.Pos()).Offset; o > off || chk.fset.Position(n.End()).Offset <= off {
			return false
		}
		if lit, ok := n.(*ast.FuncLit); ok && chk.fset.Position(lit.Pos()).Offset == off {
			found = lit
			return false
		}
		return true
	})
	return found
}

// capturedType returns the type of the variable name that lit uses from
// outside itself, or nil.
func (chk *checked) capturedType(lit *ast.FuncLit, name string) types.Type {
	var t types.Type
	ast.Inspect(lit, func(n ast.Node) bool {
		if t != nil {
			return false
		}
		id, ok := n.(*ast.Ident)
		if !ok || id.Name != name {
			return true
		}
		if v, ok := chk.info.Uses[id].(*types.Var); ok && (v.Pos() < lit.Pos() || v.Pos() >= lit.End()) {
			t = v.Type()
		}
		return true
	})
	return t
}

// buildTerms rewrites the term-building calls of a file, T(...) and
// A("..."), into the composite literals and conversions they stand for
// (eval.RewriteTermsMap), unless the module declares those names itself.
// Every name the file uses is defined (it type-checked), except maybe the
// names of a package the checker sees only partly. A file it cannot
// rewrite is returned as it is.
func (p *makerPlan) buildTerms(file, text string, cache *typeCache) string {
	if p.chk == nil {
		return text
	}
	names := eval.TermNames{
		Shadowed: func(name string) bool { return p.chk.own[name] },
		Known: func(name string) bool {
			path, ok := p.chk.imports[file][name]
			return !ok || !cache.isPartial(path)
		},
		Func: func(name string) bool {
			_, ok := p.chk.pkg.Scope().Lookup(name).(*types.Func)
			return ok
		},
	}
	out, _, err := eval.RewriteTermsMap(text, names)
	if err != nil {
		return text
	}
	return out
}

// planned says which literals of file the plan lists, by their byte
// offset in the text the loop rewrite made of it (fixed maps those back).
func (p *makerPlan) planned(file string, fixed eval.OffsetMap) func(int) bool {
	return func(start int) bool {
		_, ok := p.lits[file][fixed.Original(start)]
		return ok || p.none != ""
	}
}

// std says which names file imports a package of the standard library
// under: those functions never hand a closure to spawn.
func (chk *checked) std(file string) func(string) bool {
	return func(name string) bool {
		path, ok := chk.imports[file][name]
		return ok && isStd(path)
	}
}

// isStd reports whether path is a package of Go's standard library that
// the interpreter provides.
func isStd(path string) bool {
	key := path + "/" + pkgName(path)
	_, ok := stdlib.Symbols[key]
	if !ok {
		_, ok = unrestricted.Symbols[key]
	}
	return ok
}

// qualifier names the packages of types in file: its own package needs no
// name, an imported one the name file imports it under, gerl's term types
// the built-in names every module file has (Pid, Tuple...).
func (chk *checked) qualifier(file string) types.Qualifier {
	byPath := map[string]string{}
	for name, path := range chk.imports[file] {
		byPath[path] = name
	}
	return func(p *types.Package) string {
		if p == chk.pkg {
			return ""
		}
		if name, ok := byPath[p.Path()]; ok && name != "." && name != "_" {
			return name
		}
		return ""
	}
}

// nameable reports whether the maker's file can name t with qual: every
// named type in it is declared at the module's top level, in a package the
// file imports, or is one of the built-in names of a module file.
func (chk *checked) nameable(t types.Type, qual types.Qualifier, seen map[types.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Basic:
		return t.Kind() != types.UnsafePointer && t.Info()&types.IsUntyped == 0
	case *types.Alias:
		return chk.nameable(types.Unalias(t), qual, seen)
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return true // error, comparable
		}
		if t.TypeArgs().Len() > 0 {
			return false
		}
		switch {
		case obj.Pkg() == chk.pkg:
			return obj.Parent() == chk.pkg.Scope()
		case qual(obj.Pkg()) != "":
			return obj.Exported()
		}
		// A built-in name of the module's files (term.Pid as Pid).
		b, ok := chk.pkg.Scope().Lookup(obj.Name()).(*types.TypeName)
		return ok && types.Identical(b.Type(), t)
	case *types.Pointer:
		return chk.nameable(t.Elem(), qual, seen)
	case *types.Slice:
		return chk.nameable(t.Elem(), qual, seen)
	case *types.Array:
		return chk.nameable(t.Elem(), qual, seen)
	case *types.Chan:
		return chk.nameable(t.Elem(), qual, seen)
	case *types.Map:
		return chk.nameable(t.Key(), qual, seen) && chk.nameable(t.Elem(), qual, seen)
	case *types.Signature:
		return t.TypeParams() == nil && chk.nameable(t.Params(), qual, seen) && chk.nameable(t.Results(), qual, seen)
	case *types.Tuple:
		for i := range t.Len() {
			if !chk.nameable(t.At(i).Type(), qual, seen) {
				return false
			}
		}
		return true
	case *types.Interface:
		return t.NumMethods() == 0 && t.NumEmbeddeds() == 0
	}
	return false // structs, type parameters
}

// makers takes a compiled version's makers out of its symbols: by number.
func makers(syms map[string]reflect.Value) map[int]reflect.Value {
	out := map[int]reflect.Value{}
	for name, v := range syms {
		rest, ok := strings.CutPrefix(name, eval.MakerPrefix)
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil && v.Kind() == reflect.Func {
			out[i] = v
		}
	}
	return out
}

// tagClosures tags the literals of a file (with its makers appended) so
// that their closures travel (eval.Env.TagModuleClosures). A file it
// cannot rewrite is returned as it is: its closures do not travel.
func (s *Server) tagClosures(module, version, text string, planned func(int) bool, maker func(int, []string) (int, string)) string {
	out, err := s.env.TagModuleClosures(module, version, text, planned, maker)
	if err != nil {
		return text
	}
	return out
}

// Maker returns the maker of literal index of module at the version whose
// source has hash hash, for a closure another node sent; the closure it makes
// runs as that version's code (into). It implements eval.ModuleMakers.
// Safe for concurrent use.
func (s *Server) Maker(module, hash string, index int) (reflect.Value, func(any) any, error) {
	self := s.env.Node().Name()
	s.mu.RLock()
	m := s.mods[module]
	var vs []*version
	if m != nil {
		vs = []*version{m.current.Load(), m.old}
	}
	s.mu.RUnlock()
	if m == nil {
		return reflect.Value{}, nil, fmt.Errorf("the closure was made by module %s, which %s has not loaded (nl(%q) on the sending node loads it everywhere)",
			module, self, module)
	}
	for _, v := range vs {
		if v == nil || v.purged.Load() || v.src.hash != hash {
			continue
		}
		mk, ok := v.makers[index]
		if !ok {
			return reflect.Value{}, nil, fmt.Errorf("the closure of module %s has no maker %d on %s", module, index, self)
		}
		return mk, func(f any) any { return s.into(v, f) }, nil
	}
	return reflect.Value{}, nil, fmt.Errorf("the closure was made by another version of module %s than %s runs (nl(%q) on the sending node loads the same version everywhere)",
		module, self, module)
}
