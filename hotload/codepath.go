package hotload

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/traefik/yaegi/stdlib"
)

// A module is Go source: one file (counter.go, package counter) or one
// directory (counter/, package counter, every .go file but the tests). Its
// name is the file's name without .go, or the directory's name. The code
// path is where modules are looked for by name: the -pa directories in the
// order given, then the current directory (Config.CodePath, Config.Dir).

// Limits on what a module may be, so a wrong path (c("/")) or a hostile
// peer (nl) cannot make the node read or hold huge amounts of text.
const (
	maxFiles     = 256
	maxFileBytes = 4 << 20
	maxTotal     = 16 << 20
)

// source is a module's text, read from disk or received from another node.
type source struct {
	name   string
	path   string            // absolute file or directory; "" when received by nl
	dir    bool              // path is a directory
	files  map[string]string // base name -> text
	hash   string            // hashFiles(files)
	origin string            // the node that sent it, for nl; "" for local
}

// fileList returns the module's file names, sorted.
func (s *source) fileList() []string {
	out := make([]string, 0, len(s.files))
	for f := range s.files {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// where returns the source's path for a file of the module, or its name
// when the source has no path.
func (s *source) where(file string) string {
	switch {
	case s.path == "":
		return file
	case s.dir:
		return filepath.Join(s.path, file)
	}
	return s.path
}

var moduleName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// checkName refuses names that are not module names.
func checkName(name string, reserved map[string]bool) error {
	if !moduleName.MatchString(name) {
		return fmt.Errorf("%q: a module name is an identifier of ASCII letters, digits and underscores", name)
	}
	if reserved[name] {
		return fmt.Errorf("%q is reserved: the import path of a standard or gerl package, main, or a code built-in", name)
	}
	return nil
}

// reservedNames returns the names a module may not take: the import paths
// interpreted code already has (a module is imported by its name).
func reservedNames(extra map[string]map[string]reflect.Value) map[string]bool {
	out := map[string]bool{"main": true, "gerl": true, "unsafe": true, "C": true}
	for _, t := range []map[string]map[string]reflect.Value{stdlib.Symbols, extra} {
		for key := range t {
			if i := strings.LastIndexByte(key, '/'); i > 0 {
				out[key[:i]] = true
			}
		}
	}
	return out
}

// looksLikePath reports whether what c() was given is a path rather than a
// module name.
func looksLikePath(what string) bool {
	return strings.ContainsAny(what, `/\`) || strings.HasSuffix(what, ".go") || strings.HasPrefix(what, ".")
}

// find looks for module name on the code path and returns the file or
// directory that holds it.
func find(name string, path []string) (string, error) {
	for _, dir := range path {
		f := filepath.Join(dir, name+".go")
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			return f, nil
		}
		d := filepath.Join(dir, name)
		if st, err := os.Stat(d); err == nil && st.IsDir() && hasGoFiles(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%s is not on the code path %s", name, strings.Join(path, string(filepath.ListSeparator)))
}

func hasGoFiles(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if isModuleFile(e.Name()) && e.Type().IsRegular() {
			return true
		}
	}
	return false
}

// isModuleFile reports whether a file name in a module directory is part
// of the module.
func isModuleFile(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") &&
		!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") && !strings.HasPrefix(name, "!")
}

// readSource reads the module at path (a file or a directory).
func readSource(path string) (*source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file or directory", path)
		}
		return nil, err
	}
	src := &source{path: abs, files: map[string]string{}}
	var names []string
	if st.IsDir() {
		src.dir = true
		src.name = filepath.Base(abs)
		ents, err := os.ReadDir(abs)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		for _, e := range ents {
			if isModuleFile(e.Name()) && e.Type().IsRegular() {
				names = append(names, e.Name())
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: the directory holds no .go file", path)
		}
	} else {
		base := filepath.Base(abs)
		if !strings.HasSuffix(base, ".go") {
			return nil, fmt.Errorf("%s: a module is a .go file or a directory", path)
		}
		src.name = strings.TrimSuffix(base, ".go")
		names = []string{base}
	}
	if len(names) > maxFiles {
		return nil, fmt.Errorf("%s: more than %d files", path, maxFiles)
	}
	total := 0
	for _, n := range names {
		f := abs
		if src.dir {
			f = filepath.Join(abs, n)
		}
		b, err := readLimited(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		total += len(b)
		if total > maxTotal {
			return nil, fmt.Errorf("%s: more than %d bytes of source", path, maxTotal)
		}
		src.files[n] = string(b)
	}
	src.hash = hashFiles(src.files)
	return src, nil
}

// readLimited reads one file of a module, refusing files over
// maxFileBytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", filepath.Base(path), maxFileBytes)
	}
	return b, nil
}

// hashFiles returns a digest of the files' names and contents.
func hashFiles(files map[string]string) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%d:%s%d:", len(n), n, len(files[n]))
		h.Write([]byte(files[n]))
	}
	return hex.EncodeToString(h.Sum(nil))
}
