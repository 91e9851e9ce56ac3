package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// build builds the commands pkgs (e.g. "./cmd/gerl") of this checkout into
// a new directory and returns it.
func build(t *testing.T, pkgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", pkgs, err, out)
	}
	return dir
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
// and the system's commands but no gerl-bench, a private home and port
// mapper port, and the go tool's caches.
func benchEnv(t *testing.T) []string {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	var env []string
	for _, kv := range testkit.Environ(home, testkit.FreePort(t)) {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "GERL_BENCH_GERL=") {
			env = append(env, kv)
		}
	}
	// The go tool keeps its caches where it does for the test (HOME moved).
	out, err := exec.Command(goTool, "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(out)); len(f) == 3 {
		env = append(env, "GOCACHE="+f[0], "GOMODCACHE="+f[1], "GOPATH="+f[2])
	}
	return append(env, "PATH="+filepath.Dir(goTool)+":/usr/bin:/bin")
}

// TestBenchRunsGerlBench: "gerl bench" runs gerl-bench found beside gerl,
// which measures that gerl binary; without gerl-bench it says how to
// install it, and a development build inside a checkout builds it first
// (go run ./cmd/gerl bench).
func TestBenchRunsGerlBench(t *testing.T) {
	both := build(t, "./cmd/gerl", "./cmd/gerl-bench")
	gerl := filepath.Join(both, "gerl")
	env := benchEnv(t)
	outside := t.TempDir() // not a checkout of gerl

	code, stdout, stderr := runBench(t, gerl, outside, env, "-list")
	if code != 0 || !strings.Contains(stdout, "local_pingpong ") || !strings.Contains(stdout, "(gerl binary: "+gerl+")") {
		t.Fatalf("gerl bench -list beside gerl-bench: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// node_start runs the gerl command line: the binary gerl bench named.
	code, stdout, stderr = runBench(t, gerl, outside, env, "-quick", "node_start")
	var line map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &line) != nil || line["name"] != "node_start" || line["error"] != nil ||
		!strings.HasPrefix(line["params"].(map[string]any)["cmd"].(string), gerl+" -sname ") {
		t.Fatalf("gerl bench -quick node_start: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	alone := t.TempDir() // gerl without gerl-bench
	data, err := os.ReadFile(gerl)
	if err != nil {
		t.Fatal(err)
	}
	gerl = filepath.Join(alone, "gerl")
	if err := os.WriteFile(gerl, data, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runBench(t, gerl, outside, env, "-list")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "found neither beside "+gerl+" nor on PATH") ||
		!strings.Contains(stderr, "go install ./cmd/gerl-bench") {
		t.Fatalf("gerl bench without gerl-bench: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	checkout, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir() // where gerl bench builds gerl-bench, and removes it
	env = append(env, "TMPDIR="+tmp)
	code, stdout, stderr = runBench(t, gerl, checkout, env, "-list")
	if code != 0 || !strings.Contains(stdout, "local_pingpong ") || !strings.Contains(stderr, "building it from the checkout at "+checkout) {
		t.Fatalf("gerl bench in a checkout without gerl-bench: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runBench(t, gerl, checkout, env, "no_such_workload"); code != 2 || !strings.Contains(stderr, `no workload "no_such_workload"`) {
		t.Fatalf("gerl bench's exit status is gerl-bench's: exit %d, stderr:\n%s", code, stderr)
	}
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
		t.Fatalf("the build for a checkout left files in TMPDIR: %v %v", entries, err)
	}
}
