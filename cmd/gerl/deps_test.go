package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// importRules says which packages may not be in the import graph of
// which: the gerl binary ships the product only (no benchmark, test
// fixture or test helper, nor what only they need), and a node, which
// starts the port mapper daemon as a separate process, does not link it.
var importRules = []struct {
	pkg       string   // the package whose graph is checked (go list -deps)
	forbidden []string // import paths, or prefixes ending in "/"
	why       string
}{
	{"github.com/gerl-dev/gerl/cmd/gerl", []string{
		"github.com/gerl-dev/gerl/bench",
		"github.com/gerl-dev/gerl/bench/",
		"github.com/gerl-dev/gerl/cmd/gerl-bench",
		"github.com/gerl-dev/gerl/hotload/hotloadtest",
		"github.com/gerl-dev/gerl/internal/testkit",
		"github.com/gerl-dev/gerl/internal/stats",
		"github.com/creack/pty",
		"go.uber.org/goleak",
	}, "the gerl binary ships the product only: benchmarks run as gerl-bench, fixtures and helpers serve tests"},
	{"github.com/gerl-dev/gerl/shell", []string{"github.com/gerl-dev/gerl/portmapper/daemon"},
		"a node starts the port mapper daemon as a process (gerl portmapper -daemon); only cmd/gerl links it"},
	{"github.com/gerl-dev/gerl/node/cluster", []string{"github.com/gerl-dev/gerl/portmapper/daemon"},
		"a node starts the port mapper daemon as a process (gerl portmapper -daemon); only cmd/gerl links it"},
}

// TestProductImportGraph checks importRules with go list, so that a new
// import cannot bring benchmarks or fixtures back into the product.
func TestProductImportGraph(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list the import graph: %v", err)
	}
	for _, rule := range importRules {
		t.Run(rule.pkg, func(t *testing.T) {
			out, err := exec.Command(goTool, "list", "-deps", rule.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", rule.pkg, err)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, rule.pkg) {
				t.Fatalf("go list -deps %s does not list the package itself:\n%s", rule.pkg, out)
			}
			for _, dep := range deps {
				for _, f := range rule.forbidden {
					if dep == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
						t.Errorf("%s depends on %s (go list -deps %s); %s", rule.pkg, dep, rule.pkg, rule.why)
					}
				}
			}
		})
	}
}
