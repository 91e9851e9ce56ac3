package hotload

import (
	"errors"
	"fmt"
	"go/constant"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib/unrestricted"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

var constantValue = reflect.TypeFor[constant.Value]()

// Loading happens in two phases. Prepare reads nothing but the source and
// changes nothing: it parses the files (syntax errors, file:line:col, all
// of them), checks the package name, resolves the imports (loading, first,
// modules it imports that are on the code path but not loaded), type-checks
// with go/types (every type error at once, in Go's words), and compiles the
// package in a fresh interpreter, which also runs its initialization. Only
// then does commit, under the server's lock, make the new version current
// in one step: trampolines switch atomically, so a concurrent call enters
// either the previous version or the new one, never a mix. A module that
// fails any step of prepare is reported with its problems and the running
// version keeps running.

// Loaded is the outcome of a load that succeeded.
type Loaded struct {
	Module  string
	Version int
	// Changed is false when the source was the same as the current
	// version's and nothing was loaded (lm, watch, nl skip those).
	Changed bool
	// Killed are the processes that ran the version the load purged; they
	// were ended with reason killed.
	Killed []term.Pid
}

// Load loads a module: what is a module name, looked up on the code path,
// or the path of a .go file or a module directory (relative to Config.Dir).
// Loading a loaded module makes a new version even when its source has not
// changed, as erl's c does.
func (s *Server) Load(what string) (Loaded, error) {
	path := what
	if !looksLikePath(what) {
		if err := checkName(what, s.reserved); err != nil {
			return Loaded{}, loadErr(what, ErrBadName, nil, err)
		}
		var err error
		if path, err = find(what, s.CodePath()); err != nil {
			return Loaded{}, loadErr(what, ErrNotFound, nil, err)
		}
	} else if !filepath.IsAbs(path) {
		path = filepath.Join(s.dir, path)
	}
	src, err := readSource(path)
	if err != nil {
		return Loaded{}, loadErr(moduleNameOf(path), ErrNotFound, nil, err)
	}
	return s.loadSource(src, true)
}

// Reload loads module name again from its source: the file or directory
// its current version came from, or the code path for a module that came
// from another node (or is not loaded yet). Like Load, it makes a new
// version even when the source has not changed.
func (s *Server) Reload(name string) (Loaded, error) {
	src, err := s.diskSource(name)
	if err != nil {
		return Loaded{}, err
	}
	return s.loadSource(src, true)
}

// LoadModified reloads every module whose source changed on disk (erl's
// lm): it returns the modules it reloaded, and the errors of those that
// did not load, joined. Modules that came from another node (nl) have no
// source here and are left alone.
func (s *Server) LoadModified() ([]Loaded, error) {
	var out []Loaded
	var errs []error
	for _, info := range s.Modules() {
		if info.From != "" {
			continue
		}
		l, err := s.reloadIfChanged(info.Name)
		switch {
		case err != nil:
			errs = append(errs, err)
		case l.Changed:
			out = append(out, l)
		}
	}
	return out, errors.Join(errs...)
}

// reloadIfChanged reloads name from disk if its source differs from the
// current version's.
func (s *Server) reloadIfChanged(name string) (Loaded, error) {
	src, err := s.diskSource(name)
	if err != nil {
		return Loaded{}, err
	}
	return s.loadSource(src, false)
}

// diskSource reads module name's source: where its current version came
// from, or else from the code path.
func (s *Server) diskSource(name string) (*source, error) {
	if err := checkName(name, s.reserved); err != nil {
		return nil, loadErr(name, ErrBadName, nil, err)
	}
	path := ""
	s.mu.RLock()
	if m := s.mods[name]; m != nil {
		if v := m.current.Load(); v != nil {
			path = v.src.path
		}
	}
	s.mu.RUnlock()
	if path == "" {
		var err error
		if path, err = find(name, s.CodePath()); err != nil {
			return nil, loadErr(name, ErrNotFound, nil, err)
		}
	}
	src, err := readSource(path)
	if err != nil {
		return nil, loadErr(name, ErrNotFound, nil, err)
	}
	if src.name != name {
		return nil, loadErr(name, ErrNotFound, nil, fmt.Errorf("%s holds module %s", path, src.name))
	}
	return src, nil
}

func moduleNameOf(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".go")
}

// loadSource prepares and commits src; with force false, a source equal
// to the current version's is not loaded again.
func (s *Server) loadSource(src *source, force bool) (Loaded, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return Loaded{}, loadErr(src.name, ErrClosed, nil, nil)
	}
	return s.loadLocked(src, force, map[string]bool{})
}

// loadLocked loads src; loading holds the modules being loaded by this
// call chain (a module loads the modules it imports first).
func (s *Server) loadLocked(src *source, force bool, loading map[string]bool) (Loaded, error) {
	if err := checkName(src.name, s.reserved); err != nil {
		return Loaded{}, loadErr(src.name, ErrBadName, nil, err)
	}
	s.mu.RLock()
	m := s.mods[src.name]
	s.mu.RUnlock()
	if m == nil {
		m = &module{name: src.name, tramps: map[string]*trampoline{}}
	} else if cur := m.current.Load(); !force && cur != nil && cur.src.hash == src.hash {
		return Loaded{Module: src.name, Version: cur.n}, nil
	}
	loading[src.name] = true
	defer delete(loading, src.name)
	display := s.displayer(src)
	p, err := parseModule(src, display)
	if err != nil {
		return Loaded{}, err
	}
	deps, err := s.loadImports(p, loading)
	if err != nil {
		return Loaded{}, err
	}
	problems, chk := typeCheck(p, s.types, deps, s.env.Builtins(), display)
	if len(problems) > 0 {
		s.explainGenerics(problems)
		return Loaded{}, loadErr(src.name, ErrType, problems, nil)
	}
	v := &version{mod: m, src: src, loaded: time.Now()}
	plan := planMakers(p, chk)
	if err := s.compile(p, v, deps, display, plan, chk.own); err != nil {
		if plan.chk == nil || !errors.Is(err, ErrType) {
			return Loaded{}, err
		}
		// The interpreter refused what the type checker took: the module
		// again without what the plan adds (the makers of its closures,
		// terms built in place). If that loads, the plan was at fault:
		// the module runs, and its closures do not travel.
		if err := s.compile(p, v, deps, display, &makerPlan{none: "its makers did not compile"}, chk.own); err != nil {
			return Loaded{}, err
		}
		s.log.Warn("hotload: the closures of this module will not travel to other nodes", "module", p.name, "err", err)
	}
	return s.commit(v), nil
}

// displayer returns how a file of src is shown in problems: relative to
// the server's directory when inside it.
func (s *Server) displayer(src *source) func(string) string {
	return func(file string) string {
		if file == selfFile {
			return "(generated)"
		}
		path := src.where(file)
		if src.path == "" {
			return path
		}
		if rel, err := filepath.Rel(s.dir, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
		return path
	}
}

// loadImports checks the module's imports and returns the packages of the
// modules among them, loading those that are on the code path but not
// loaded yet.
func (s *Server) loadImports(p *parsed, loading map[string]bool) (map[string]map[string]reflect.Value, error) {
	deps := map[string]map[string]reflect.Value{}
	paths := make([]string, 0, len(p.imports))
	for path := range p.imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var problems []Problem
	problem := func(path, format string, args ...any) {
		at := p.imports[path][0]
		problems = append(problems, Problem{at.file, at.line, at.col, fmt.Sprintf(format, args...)})
	}
	for _, path := range paths {
		if path == "unsafe" || s.types.has(path) {
			continue
		}
		if path == p.name {
			problem(path, "a module cannot import itself: write %s.F without importing it", p.name)
			continue
		}
		if loading[path] {
			problem(path, "import cycle: module %s imports %s, which imports it", p.name, path)
			continue
		}
		s.mu.RLock()
		m := s.mods[path]
		s.mu.RUnlock()
		if m == nil && moduleName.MatchString(path) && !s.reserved[path] {
			if file, err := find(path, s.CodePath()); err == nil {
				src, err := readSource(file)
				if err == nil {
					_, err = s.loadLocked(src, false, loading)
				}
				if err != nil {
					problem(path, "import %q: module %s did not load", path, path)
					var le *LoadError
					if errors.As(err, &le) {
						problems = append(problems, le.Problems...)
					} else {
						problem(path, "%v", err)
					}
					continue
				}
				s.mu.RLock()
				m = s.mods[path]
				s.mu.RUnlock()
			}
		}
		if m == nil {
			problem(path, "import %q: not a standard package, gerl's API, or a module (loaded or on the code path)", path)
			continue
		}
		s.mu.RLock()
		deps[path] = m.exports
		s.mu.RUnlock()
	}
	if len(problems) > 0 {
		return nil, loadErr(p.name, ErrImport, problems, nil)
	}
	return deps, nil
}

// compile builds v's interpreter: a fresh one with the standard library,
// gerl's API (with spawn bound to v, see trampoline.go), the built-ins but
// those the module declares itself (own) and the imported modules'
// packages; it compiles the package and runs its initialization, then
// takes its exported symbols.
func (s *Server) compile(p *parsed, v *version, deps map[string]map[string]reflect.Value, display func(string) string, plan *makerPlan, own map[string]bool) (err error) {
	fsys := fstest.MapFS{}
	generic := eval.ExportedGenerics(p.texts)
	for name, text := range p.texts {
		// As at the prompt: the loops' closures get their own variables,
		// then the literals are tagged (with the makers appended), then
		// come the checks.
		text, fixed := s.fixLoops(name, text+plan.texts[name], display)
		if name != selfFile {
			text = s.tagClosures(p.name, v.src.hash, text, plan.planned(name, fixed), plan.maker(name, fixed))
			text = plan.buildTerms(name, text, s.types)
		}
		text = guardGo(guardChecks(p.name, text, siblings(p.texts, name)))
		text = renameGenerics(text, generic)
		fsys["src/"+p.name+"/"+name] = &fstest.MapFile{Data: []byte(importOnPackageLine(text, text, ".", builtinsPath))}
	}
	yi := yaegi.New(yaegi.Options{GoPath: ".", SourcecodeFilesystem: fsys, Stdout: s.stdout, Stderr: s.stderr, Unrestricted: true})
	uses := []yaegi.Exports{eval.StdlibSymbols(), unrestricted.Symbols, s.env.Exports(), s.overrides(v), s.moduleBuiltins(v, own)}
	for path, syms := range deps {
		uses = append(uses, yaegi.Exports{path + "/" + path: syms})
	}
	for _, u := range uses {
		if err := yi.Use(u); err != nil {
			return loadErr(p.name, ErrType, nil, err)
		}
	}
	if err := eval.UseStdGenerics(yi, func(path string) bool { return len(p.imports[path]) > 0 }); err != nil {
		return loadErr(p.name, ErrType, nil, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = loadErr(p.name, ErrInit, []Problem{{Msg: "initialization panicked: " + term.PanicText(fmt.Sprint(r))}}, nil)
		}
	}()
	if _, err := yi.Eval(`import "` + p.name + `"`); err != nil {
		return s.compileError(p, err, display)
	}
	v.yi = yi
	v.funcs, v.types, v.consts, v.vars = map[string]reflect.Value{}, map[string]reflect.Type{}, map[string]reflect.Value{}, map[string]reflect.Value{}
	byVar := map[string]string{}
	for fn, name := range p.selfFuncs {
		byVar[name] = fn
	}
	syms := yi.Symbols(p.name)[p.name]
	v.makers = makers(syms)
	for name, val := range syms {
		switch {
		case strings.HasPrefix(name, eval.MakerPrefix):
			// A closure's maker (closures.go), not a function of the module.
		case byVar[name] != "":
			v.vars[byVar[name]] = val
		case val.CanSet():
			// A package-level variable: private to the version.
		case val.Type().Implements(constantValue):
			v.consts[name] = val
		case val.Kind() == reflect.Func:
			v.funcs[name] = val
		case val.Kind() == reflect.Pointer && !val.IsNil():
			v.types[name] = val.Type().Elem()
		default:
			v.consts[name] = val
		}
	}
	return nil
}

// fixLoops gives the closures a file creates in loops their own copies of
// the loop's variables, as Go 1.22 does and the prompt does (yaegi shares
// them: ten processes spawned in a loop would all see the last i). Lines
// do not move; columns may, on the lines rewritten. Where a copy would
// change the program's meaning, the file is compiled as it is and a
// warning says where.
func (s *Server) fixLoops(name, text string, display func(string) string) (string, eval.OffsetMap) {
	out, m, err := eval.FixLoopClosuresMap(text)
	if err != nil {
		var se *eval.SourceError
		if errors.As(err, &se) {
			s.log.Warn("hotload: closures created in this loop share its variables (the interpreter's semantics, not Go 1.22's)",
				"at", Problem{display(name), se.Line, se.Col, se.Msg}.String())
		}
		return text, eval.OffsetMap{}
	}
	return out, m
}

// goAlias is the name a module file imports the gerl API under for its
// go statements (see guardGo).
const goAlias = "gerl_go_"

// guardGo makes a module's go statements report a panic in the goroutine
// they start instead of ending the node, as at the prompt (see
// eval.RewriteGoMap): they call the gerl API's GoStatement, imported
// under a name of its own on the package clause's line, so lines do not
// move. A file it cannot rewrite is returned as it is.
func guardGo(text string) string {
	out, _, err := eval.RewriteGoMap(text, goAlias+".GoStatement", goAlias+".GoStatementSpread")
	if err != nil || out == text {
		return text
	}
	return importOnPackageLine(text, out, goAlias, eval.GerlPath)
}

// importOnPackageLine returns out, a rewrite of text, importing path as
// alias right after its package clause, on the same line, so that lines do
// not move; text if out has no package clause.
func importOnPackageLine(text, out, alias, path string) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", out, parser.PackageClauseOnly)
	if err != nil {
		return text
	}
	end := fset.Position(f.Name.End()).Offset
	return out[:end] + "; import " + alias + ` "` + path + `"` + out[end:]
}

// compileError turns the interpreter's error into a LoadError: its
// position inside the virtual file system is mapped back to the file.
func (s *Server) compileError(p *parsed, err error, display func(string) string) error {
	var pe yaegi.Panic
	if errors.As(err, &pe) {
		return loadErr(p.name, ErrInit, []Problem{{Msg: fmt.Sprintf("initialization panicked: %v", pe.Value)}}, nil)
	}
	re := regexp.MustCompile(`src/` + regexp.QuoteMeta(p.name) + `/([^:\s]+):(\d+):(\d+): (.*)`)
	var problems []Problem
	for _, line := range strings.Split(err.Error(), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		l, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		problems = append(problems, Problem{display(m[1]), l, c, p.fixMessage(m[4])})
	}
	if len(problems) == 0 {
		problems = []Problem{{Msg: p.fixMessage(err.Error())}}
	}
	return loadErr(p.name, ErrType, problems, nil)
}

// commit makes v its module's current version (see the top of this file
// and version.go): the previous current becomes old, the previous old is
// purged, and its processes are killed.
func (s *Server) commit(v *version) Loaded {
	m := v.mod
	s.mu.Lock()
	s.mods[m.name] = m
	m.next++
	v.n = m.next
	changed := false
	for name, f := range v.funcs {
		if t := m.tramps[name]; t == nil || t.typ != f.Type() {
			m.tramps[name] = newTrampoline(s, m, name, f.Type())
			changed = true
		}
	}
	for name, vv := range v.vars {
		vv.Set(m.tramps[name].fn)
	}
	exports := exportsOf(m, v)
	if m.exports == nil || !sameExports(m.exports, exports) {
		changed = true
	}
	m.exports = exports
	purged := m.old
	var victims []*node.Proc
	if purged != nil {
		purged.purged.Store(true)
		victims = s.procs.running(purged)
	}
	m.old = m.current.Load()
	m.current.Store(v)
	w := s.watching
	s.mu.Unlock()

	killed := s.kill(purged, victims)
	s.env.SetModuleSource(m.name, v.src.files) // for h("mod.Fun")
	if changed {
		// The prompt's package: sessions between inputs get it now, a
		// session evaluating one (the c() that loaded it) before its next
		// input. A package whose names and types did not change need not be
		// given again: its trampolines already lead to the new version.
		s.env.AddPackage(m.name, exports)
	}
	if w != nil && v.src.path != "" {
		w.add(v.src)
	}
	// Servers started from the module's factory take the new code, keeping
	// their state (eval.Env.ModuleLoaded, package server).
	s.env.ModuleLoaded(m.name)
	return Loaded{Module: m.name, Version: v.n, Changed: true, Killed: killed}
}

// siblings are the texts of the files of texts other than name.
func siblings(texts map[string]string, name string) []string {
	var out []string
	for other, text := range texts {
		if other != name {
			out = append(out, text)
		}
	}
	return out
}
