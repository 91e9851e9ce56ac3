package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// envRunAsGerl makes this test binary run as the gerl command (TestMain),
// so that the tests of "gerl bench" need no separate build of gerl.
const envRunAsGerl = "GERL_TEST_RUN_AS_GERL"

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsGerl) == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// installGerl copies this test binary into a new directory as "gerl", to
// run as the gerl command, and returns its path.
func installGerl(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	gerl := filepath.Join(t.TempDir(), "gerl")
	if err := os.WriteFile(gerl, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return gerl
}

// runBench runs "gerl bench args" in dir with env and returns its exit
// status and output.
func runBench(t *testing.T, gerl, dir string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(gerl, append([]string{"bench"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("gerl bench %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// benchEnv is the environment of a gerl bench run: a PATH with the go tool
// and the system's commands but no gerl-bench, a private home, cache and
// port mapper port, and the go tool's own caches.
func benchEnv(t *testing.T, cache string) []string {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range testkit.Environ(t.TempDir(), testkit.FreePort(t)) {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "GERL_BENCH_GERL=") && !strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			env = append(env, kv)
		}
	}
	out, err := exec.Command(goTool, "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(out)); len(f) == 3 {
		env = append(env, "GOCACHE="+f[0], "GOMODCACHE="+f[1], "GOPATH="+f[2])
	}
	return append(env, "PATH="+filepath.Dir(goTool)+":/usr/bin:/bin", "XDG_CACHE_HOME="+cache, envRunAsGerl+"=1")
}

// TestBenchRunsGerlBench: "gerl bench" runs gerl-bench found beside gerl,
// which measures that gerl binary; without gerl-bench it says how to
// install it, and a development build inside a checkout (go run ./cmd/gerl
// bench) builds one from the checkout into the user's cache.
func TestBenchRunsGerlBench(t *testing.T) {
	gerl := installGerl(t)
	cache := t.TempDir()
	env := benchEnv(t, cache)
	outside := t.TempDir() // not a checkout of gerl
	checkout, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runBench(t, gerl, outside, env, "-list")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "found neither beside "+gerl+" nor on PATH") ||
		!strings.Contains(stderr, "go install ./cmd/gerl-bench") {
		t.Fatalf("gerl bench without gerl-bench: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// In the checkout, built into the cache; gerl-bench measures the gerl
	// that ran it (the workloads that run the gerl command line use the
	// binary -list names).
	code, stdout, stderr = runBench(t, gerl, checkout, env, "-list")
	if code != 0 || !strings.Contains(stdout, "local_pingpong ") || !strings.Contains(stdout, "(gerl binary: "+gerl+")") ||
		!strings.Contains(stderr, "using one built from the checkout at "+checkout+" (go build -o "+filepath.Join(cache, "gerl", "gerl-bench-")) {
		t.Fatalf("gerl bench in a checkout without gerl-bench: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	built, err := filepath.Glob(filepath.Join(cache, "gerl", "gerl-bench-*"))
	if err != nil || len(built) != 1 {
		t.Fatalf("gerl-bench built into the cache: %v %v", built, err)
	}

	// Beside gerl, outside a checkout: gerl-bench takes over, its exit
	// status is gerl bench's.
	data, err := os.ReadFile(built[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(gerl), "gerl-bench"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runBench(t, gerl, outside, env, "-list")
	if code != 0 || !strings.Contains(stdout, "(gerl binary: "+gerl+")") || stderr != "" {
		t.Fatalf("gerl bench beside gerl-bench: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runBench(t, gerl, outside, env, "no_such_workload"); code != 2 || !strings.Contains(stderr, `no workload "no_such_workload"`) {
		t.Fatalf("gerl bench no_such_workload: exit %d, stderr:\n%s", code, stderr)
	}
}
