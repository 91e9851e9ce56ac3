package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
)

// "gerl bench" runs the benchmark workloads, which are a separate program,
// gerl-bench (cmd/gerl-bench), so that the gerl binary carries none of
// their code: gerl executes gerl-bench found beside itself or on PATH, the
// way git runs its git-NAME commands, and tells it which gerl binary to
// measure. From a development build run inside a checkout of gerl (go run
// ./cmd/gerl bench), where no gerl-bench was built, it builds one from the
// checkout into the user's cache directory first.

// benchProgram is the program "gerl bench" runs.
const benchProgram = "gerl-bench"

// envBenchGerl tells gerl-bench which gerl binary its workloads start
// (cmd/gerl-bench reads it).
const envBenchGerl = "GERL_BENCH_GERL"

// modulePath is gerl's module, whose checkout can build gerl-bench.
const modulePath = "github.com/gerl-dev/gerl"

// benchCommand runs "gerl bench ARGS": it does not return when it could
// execute gerl-bench, which takes over the process; otherwise it says why
// and returns the exit status.
func benchCommand(args []string, stderr io.Writer) int {
	gerl, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "gerl bench: cannot find the gerl executable: %v\n", err)
		return 1
	}
	prog, found := findBench(gerl)
	if !found {
		if root, dev := devCheckout(); dev {
			if prog, err = buildBench(root, stderr); err != nil {
				fmt.Fprintf(stderr, "gerl bench: %v\n", err)
				return 1
			}
			found = true
		}
	}
	if found {
		err := syscall.Exec(prog, append([]string{prog}, args...), append(os.Environ(), envBenchGerl+"="+gerl))
		fmt.Fprintf(stderr, "gerl bench: run %s: %v\n", prog, err)
		return 1
	}
	fmt.Fprintf(stderr, `gerl bench: the benchmarks are a separate program, %[1]s, found neither beside %[2]s nor on PATH.
Install it with
    go install %[3]s/cmd/%[1]s@latest
or, in a checkout of gerl,
    go install ./cmd/%[1]s
(go install puts it beside gerl when gerl was installed the same way).
`, benchProgram, gerl, modulePath)
	return 1
}

// findBench returns gerl-bench beside the gerl executable, or else on PATH.
func findBench(gerl string) (string, bool) {
	beside := filepath.Join(filepath.Dir(gerl), benchProgram)
	if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return beside, true
	}
	if p, err := exec.LookPath(benchProgram); err == nil {
		return p, true
	}
	return "", false
}

// devCheckout reports whether this gerl is a development build (go run or
// go build in a checkout, not a released version) running inside a
// checkout of gerl with the go tool at hand, and returns the checkout's
// root.
func devCheckout() (root string, ok bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Path != modulePath || bi.Main.Version != "(devel)" {
		return "", false
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", false
	}
	out, err := exec.Command(goTool, "list", "-m", "-f", "{{.Path}} {{.Dir}}").Output()
	if err != nil {
		return "", false
	}
	path, dir, found := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !found || path != modulePath || dir == "" {
		return "", false
	}
	return dir, true
}

// buildBench builds gerl-bench from the checkout at root into the user's
// cache directory (one binary per checkout, which go build relinks only
// when the code changed) and returns its path.
func buildBench(root string, stderr io.Writer) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory to build %s into: %w", benchProgram, err)
	}
	sum := sha256.Sum256([]byte(root))
	prog := filepath.Join(cache, "gerl", fmt.Sprintf("%s-%x", benchProgram, sum[:6]))
	fmt.Fprintf(stderr, "gerl bench: %s is not installed; using one built from the checkout at %s (go build -o %s ./cmd/%s)\n",
		benchProgram, root, prog, benchProgram)
	build := exec.Command("go", "build", "-o", prog, "./cmd/"+benchProgram)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %w\n%s", benchProgram, err, bytes.TrimSpace(out))
	}
	return prog, nil
}
