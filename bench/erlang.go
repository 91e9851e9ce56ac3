package bench

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The Erlang side of the workloads that compare with Erlang's own
// libraries (global, pg: groups.go), of the scaling workloads (scaling.go)
// and of ship_closure (closure.go) lives in this repository, in
// erlang/gerl_groups.erl, erlang/gerl_scaling.erl and
// erlang/gerl_closure.erl, and runs in the same gerl bench run: Erlang
// compiles them into a temporary directory and runs one controller VM per
// workload, which starts its nodes as peers (if any) and prints one JSON
// line per result.

//go:embed erlang/gerl_groups.erl erlang/gerl_scaling.erl erlang/gerl_closure.erl
var erlangSources embed.FS

// erlangModule is the module that runs a workload, and the emulator flags
// it needs.
func erlangModule(workload string) (module string, flags []string) {
	switch workload {
	case "global_names", "pg_converge", "pg_publish":
		return "gerl_groups", nil
	case "ship_closure":
		return "gerl_closure", nil
	case "million", "million_hibernated":
		return "gerl_scaling", []string{"+P", "4000000"} // room for two passes' worth
	}
	return "gerl_scaling", nil
}

// erlangTimeout bounds one Erlang workload.
const erlangTimeout = 15 * time.Minute

// Erlang runs workload on Erlang/OTP with params, and returns its result
// (impl erlang), or a result saying why it could not run (no erl).
func Erlang(workload string, params map[string]int) []Result {
	res := Result{Name: workload, Impl: "erlang", Params: map[string]any{}}
	for k, v := range params {
		res.Params[k] = v
	}
	erl, err := exec.LookPath("erl")
	if err != nil {
		return []Result{failed(res, fmt.Errorf("erl not found (apt-get install erlang-base): Erlang's side skipped"))}
	}
	erlc, err := exec.LookPath("erlc")
	if err != nil {
		return []Result{failed(res, fmt.Errorf("erlc not found: Erlang's side skipped"))}
	}
	dir, err := os.MkdirTemp("", "gerl-bench-erlang")
	if err != nil {
		return []Result{failed(res, err)}
	}
	defer os.RemoveAll(dir)
	srcs, err := fs.Glob(erlangSources, "erlang/*.erl")
	if err != nil {
		return []Result{failed(res, err)}
	}
	erlcArgs := []string{"-o", dir}
	for _, name := range srcs {
		b, _ := erlangSources.ReadFile(name)
		src := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(src, b, 0o644); err != nil {
			return []Result{failed(res, err)}
		}
		erlcArgs = append(erlcArgs, src)
	}
	if out, err := exec.Command(erlc, erlcArgs...).CombinedOutput(); err != nil { // one erlc for all: it starts a VM
		return []Result{failed(res, fmt.Errorf("erlc: %v: %s", err, out))}
	}
	module, flags := erlangModule(workload)
	args := append(flags, "-noshell", "-pa", dir, "-run", module, "main", workload)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, fmt.Sprintf("%s=%d", k, params[k]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), erlangTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, erl, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), noCrashDump)
	if err := cmd.Run(); err != nil {
		return []Result{failed(res, fmt.Errorf("erl %s: %v: %s", strings.Join(args, " "), err, stderr.String()))}
	}
	// The result is the JSON line; the rest is the VMs' log (a warning
	// report of global's, say), kept with the result.
	var out []Result
	var log []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if !strings.HasPrefix(line, "{") {
			log = append(log, line)
			continue
		}
		r, err := parseErlangResult([]byte(line))
		if err != nil {
			return append(out, failed(res, fmt.Errorf("erl printed %q: %v", line, err)))
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return []Result{failed(res, fmt.Errorf("erl printed no result: %s", strings.Join(log, "\n")))}
	}
	if len(log) > 0 {
		out[0].Params["erlang_log"] = strings.Join(log, "\n")
	}
	return out
}

// parseErlangResult reads a JSON line of gerl_groups.erl into a Result:
// the numbers at the top level are its figures.
func parseErlangResult(line []byte) (Result, error) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		return Result{}, err
	}
	r := Result{Impl: "erlang", Figures: map[string]float64{}, Params: map[string]any{}}
	r.Name, _ = m["name"].(string)
	if p, ok := m["params"].(map[string]any); ok {
		r.Params = p
	}
	if e, ok := m["error"].(string); ok {
		r.Error = e
	}
	if otp, ok := m["otp"].(string); ok {
		r.Params["otp"] = otp
	}
	for k, v := range m {
		if f, ok := v.(float64); ok && k != "schedulers" {
			r.Figures[k] = f
		}
	}
	if list, ok := m["samples"].([]any); ok {
		for _, s := range list {
			sm, _ := s.(map[string]any)
			fs := map[string]float64{}
			for k, v := range sm {
				if f, ok := v.(float64); ok {
					fs[k] = f
				}
			}
			r.Samples = append(r.Samples, fs)
		}
	}
	if r.Name == "" {
		return Result{}, fmt.Errorf("no name")
	}
	return r, nil
}

// noCrashDump keeps a VM that ends abnormally (a peer that cannot
// register with the port mapper, say) from writing erl_crash.dump into
// the directory gerl bench or its tests run in: what it says is in the
// output the harness keeps.
const noCrashDump = "ERL_CRASH_DUMP_SECONDS=0"
