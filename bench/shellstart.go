package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/creack/pty"
)

// ShellStart is the shell_start workload: the time from exec of gerl to
// its first prompt on a pseudo-terminal, for a node without distribution
// (gerl) and for a distributed one (gerl -sname X), runs times each after
// one warm-up. exe is the gerl binary; portMapperPort the port mapper to
// use (distributed runs start it if needed).
func ShellStart(exe string, runs int, portMapperPort int) Result {
	res := Result{Name: "shell_start", Params: map[string]any{"runs": runs}}
	if res, ok := needGerl(res, exe); !ok {
		return res
	}
	res.Figures = map[string]float64{}
	for _, variant := range []struct {
		key  string
		args func(i int) []string
	}{
		{"nodist", func(int) []string { return nil }},
		{"dist", func(i int) []string {
			return []string{"-sname", fmt.Sprintf("bss%d_%d", os.Getpid(), i), "-setcookie", "benchcookie"}
		}},
	} {
		var ms []float64
		for i := 0; i <= runs; i++ {
			d, err := timeToPrompt(exe, variant.args(i), portMapperPort)
			if err != nil {
				return failed(res, fmt.Errorf("shell_start %s: %w", variant.key, err))
			}
			if i > 0 {
				ms = append(ms, float64(d)/float64(time.Millisecond))
				res.Samples = append(res.Samples, map[string]float64{variant.key + "_ms": float64(d) / float64(time.Millisecond)})
			}
		}
		res.Figures[variant.key+"_median_ms"] = median(ms)
	}
	return res
}

// timeToPrompt starts gerl on a pty and returns how long it took to print
// its first prompt ("1> " or "(name@host)1> "), then quits it.
func timeToPrompt(exe string, args []string, pmPort int) (time.Duration, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "TERM=dumb", fmt.Sprintf("GERL_PORTMAPPER_PORT=%d", pmPort), "HOME="+os.TempDir())
	t0 := time.Now()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		return 0, err
	}
	defer f.Close()
	found := make(chan time.Duration, 1)
	go func() {
		var seen bytes.Buffer
		buf := make([]byte, 4096)
		reported := false
		for {
			n, err := f.Read(buf)
			// readline asks where the cursor is (ESC[6n) before its first
			// prompt, as a terminal emulator would answer it, answer.
			if bytes.Contains(buf[:n], []byte("\x1b[6n")) {
				fmt.Fprint(f, "\x1b[1;1R")
			}
			seen.Write(buf[:n])
			if !reported && strings.Contains(seen.String(), "1> ") {
				found <- time.Since(t0)
				reported = true
			}
			if err != nil {
				if !reported {
					close(found)
				}
				return
			}
		}
	}()
	select {
	case d, ok := <-found:
		if !ok {
			cmd.Wait()
			return 0, fmt.Errorf("gerl exited before its prompt")
		}
		fmt.Fprint(f, "halt()\r")
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		return d, nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return 0, fmt.Errorf("no prompt within 30 s")
	}
}
