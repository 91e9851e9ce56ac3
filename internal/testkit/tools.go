package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTool returns the path of the command name, for a test that runs it
// (tmux, erl, taskset, ip). When it is missing the test skips, saying
// which package provides it; under GERL_REQUIRE_ALL (set by .ci/run, which
// installs them all) a missing tool fails the test instead.
func NeedTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("GERL_REQUIRE_ALL") != "" {
		t.Fatalf("%s is required (GERL_REQUIRE_ALL is set) but not installed: %v", name, err)
	}
	t.Skipf("%s is not installed (apt-get install %s); skipping", name, pkg)
	return ""
}
