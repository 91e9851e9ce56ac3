package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
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
// checkout first.

// benchProgram is the program "gerl bench" runs.
const benchProgram = "gerl-bench"

// envBenchGerl tells gerl-bench which gerl binary its workloads start
// (cmd/gerl-bench reads it).
const envBenchGerl = "GERL_BENCH_GERL"

// modulePath is gerl's module, whose checkout can build gerl-bench.
const modulePath = "github.com/gerl-dev/gerl"

// benchCommand runs "gerl bench ARGS" and returns the exit status; on the
// usual path it does not return, gerl-bench taking over the process.
func benchCommand(args []string, stderr io.Writer) int {
	gerl, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "gerl bench: cannot find the gerl executable: %v\n", err)
		return 1
	}
	env := append(os.Environ(), envBenchGerl+"="+gerl)
	if prog, ok := findBench(gerl); ok {
		err := syscall.Exec(prog, append([]string{prog}, args...), env)
		fmt.Fprintf(stderr, "gerl bench: run %s: %v\n", prog, err)
		return 1
	}
	if root, ok := devCheckout(); ok {
		return buildAndRunBench(root, args, env, stderr)
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

// buildAndRunBench builds gerl-bench from the checkout at root into a
// temporary directory, runs it with args and env, and removes it. It
// returns gerl-bench's exit status.
func buildAndRunBench(root string, args, env []string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "gerl bench: %s is not installed; building it from the checkout at %s (go build ./cmd/%s)\n",
		benchProgram, root, benchProgram)
	dir, err := os.MkdirTemp("", "gerl-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "gerl bench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	prog := filepath.Join(dir, benchProgram)
	build := exec.Command("go", "build", "-o", prog, "./cmd/"+benchProgram)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(stderr, "gerl bench: go build ./cmd/%s: %v\n%s", benchProgram, err, bytes.TrimSpace(out))
		return 1
	}
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	// Ctrl-C reaches gerl-bench too (same process group); gerl waits for
	// it to finish rather than leave it behind with the temporary binary.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return max(ee.ExitCode(), 1)
	case err != nil:
		fmt.Fprintf(stderr, "gerl bench: run %s: %v\n", benchProgram, err)
		return 1
	}
	return 0
}
