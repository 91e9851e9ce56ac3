package eval

import (
	"path"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/traefik/yaegi/stdlib"
)

// Complete returns the completions of the identifier that ends at byte pos
// of line: built-ins, the gerl API, the shell's variables, standard
// packages and loaded modules, and after a dot the members of a package
// (gerl., strings., counter.) or the methods and fields of a variable
// (p. for a *Proc). Each candidate is the whole word; prefix is what the
// line already holds of it. Complete must not run while an input is
// evaluated (it reads the interpreter's globals).
func (s *Session) Complete(line string, pos int) (candidates []string, prefix string) {
	if pos > len(line) {
		pos = len(line)
	}
	start := pos
	for start > 0 {
		r := rune(line[start-1])
		if r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			start--
			continue
		}
		break
	}
	word := line[start:pos]
	if dot := strings.LastIndexByte(word, '.'); dot >= 0 {
		base, member := word[:dot], word[dot+1:]
		var names []string
		for _, n := range s.members(base) {
			if strings.HasPrefix(n, member) {
				names = append(names, n)
			}
		}
		return names, member
	}
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if strings.HasPrefix(n, word) && !seen[n] && !strings.HasPrefix(n, "_") {
			seen[n] = true
			names = append(names, n)
		}
	}
	s.mu.Lock()
	for n := range s.docs {
		add(n)
	}
	s.mu.Unlock()
	for n := range termTypes() {
		add(n)
	}
	add("gerl")
	for n := range s.Bindings() {
		add(n)
	}
	for _, p := range s.env.Packages() {
		add(path.Base(p))
	}
	for _, p := range StdlibPackages() {
		add(p)
	}
	sort.Strings(names)
	return names, word
}

// members lists what base.X can be: exported names of a package, or the
// methods and fields of a variable's value.
func (s *Session) members(base string) []string {
	if pkg := map[string]string{"gerl": GerlPath}[base]; pkg != "" || gerlPackages()[base] != "" {
		if pkg == "" {
			pkg = gerlPackages()[base]
		}
		var out []string
		for n := range s.env.Exports()[pkg+"/"+path.Base(pkg)] {
			if unicode.IsUpper(rune(n[0])) {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, p := range s.env.Packages() {
		if path.Base(p) == base {
			return s.env.packageSymbols(p)
		}
	}
	if v, ok := s.Bindings()[base]; ok && v != nil {
		return valueMembers(reflect.ValueOf(v))
	}
	if pkg, ok := s.stdPkgs[base]; ok {
		var out []string
		for n := range stdlib.Symbols[pkg+"/"+path.Base(pkg)] {
			if n != "" && unicode.IsUpper(rune(n[0])) {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	return nil
}

// valueMembers lists the exported methods and fields of v.
func valueMembers(v reflect.Value) []string {
	var out []string
	t := v.Type()
	for i := 0; i < t.NumMethod(); i++ {
		out = append(out, t.Method(i).Name)
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		for i := 0; i < st.NumField(); i++ {
			if f := st.Field(i); f.IsExported() {
				out = append(out, f.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}
