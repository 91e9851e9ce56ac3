package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The ship_closure workload: what a closure costs to spawn and to call on
// another node, against a function by name (docs/performance.md, "What
// shipping a closure costs"). gerl's side types the measurement at the
// prompt of a gerl node a, piped on its stdin, against a second node b on
// loopback, with the module bm shipped to b with nl; Erlang's side
// (erlang/gerl_closure.erl) does the same on two Erlang nodes. Each round
// times every operation in turn: the median, in µs, of n calls timed one
// by one after warmup untimed ones (a sample); a figure is the median of
// the rounds' (the machine's load shifts while one operation runs after
// another). Each spawn sends one message back (spawn, then receive):
//
//	remote_prompt_fun_us  spawn(nd, func() { me ! 1 }): a closure typed at
//	                      the prompt (travels as its source); Erlang: a fun
//	                      made by the shell (erl_eval's, which travels with
//	                      its abstract code)
//	remote_module_fun_us  spawn(nd, pf), pf := bm.Pinger(me): a closure a
//	                      module made (travels as a reference to the
//	                      module's code); Erlang: a fun compiled in a module
//	remote_mfa_us         spawn(nd, "bm.Ping", me): a function by name
//	local_*_us            the same three spawned on a
//	rpc_prompt_fun_us     rpc(nd, func() int { return 1 })
//	rpc_module_fun_us     rpc(nd, one), one := bm.One()
//	rpc_mfa_us            rpc(nd, "strings.ToUpper", "a")
//
// Erlang's side reports the same keys (its rpc is rpc:call, a fun through
// erlang:apply), and the two calls through erpc:call (erpc_module_fun_us,
// erpc_mfa_us).
const (
	ShipClosureN      = 1000
	ShipClosureWarmup = 100
	ShipClosureRounds = 5
)

// shipClosureModule is the module bm, gerl's twin of gerl_closure.erl's
// ping/1 and funs: Ping is spawned by name, Pinger and One make the
// module's closures.
const shipClosureModule = `package bm

// Ping sends 1 to to.
func Ping(to Pid) { to ! 1 }

// Pinger returns a closure that sends 1 to to.
func Pinger(to Pid) func() { return func() { to ! 1 } }

// One returns a closure that returns 1.
func One() func() int { return func() int { return 1 } }
`

// shipClosureInputs are node a's inputs: they wait for b, load bm on both
// nodes, and print the rounds' figures as one line, "ship_closure [json]".
func shipClosureInputs(nodeB string, n, warmup, rounds int) string {
	return strings.Join([]string{
		fmt.Sprintf("nd := A(%q)", nodeB),
		// b was started in the background: poll it until it answers.
		`for i := 0; i < 1000 && ping(nd) != A("pong"); i++ { time.Sleep(10 * time.Millisecond) }`,
		`c("bm")`,
		`nl("bm")`,
		`me := self(); pf := bm.Pinger(me); one := bm.One()`,
		fmt.Sprintf(`med := func(f func()) float64 { for i := 0; i < %d; i++ { f() }; ds := make([]time.Duration, %d); for i := range ds { t0 := time.Now(); f(); ds[i] = time.Since(t0) }; sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] }); return float64(ds[len(ds)/2]) / 1e3 }`, warmup, n),
		`rounds := []map[string]float64{}`,
		fmt.Sprintf(`for r := 0; r < %d; r++ { figs := map[string]float64{}; `, rounds) +
			`figs["remote_prompt_fun_us"] = med(func() { spawn(nd, func() { me ! 1 }); receive() }); ` +
			`figs["remote_module_fun_us"] = med(func() { spawn(nd, pf); receive() }); ` +
			`figs["remote_mfa_us"] = med(func() { spawn(nd, "bm.Ping", me); receive() }); ` +
			`figs["local_prompt_fun_us"] = med(func() { spawn(func() { me ! 1 }); receive() }); ` +
			`figs["local_module_fun_us"] = med(func() { spawn(pf); receive() }); ` +
			`figs["local_mfa_us"] = med(func() { spawn("bm.Ping", me); receive() }); ` +
			`figs["rpc_prompt_fun_us"] = med(func() { rpc(nd, func() int { return 1 }) }); ` +
			`figs["rpc_module_fun_us"] = med(func() { rpc(nd, one) }); ` +
			`figs["rpc_mfa_us"] = med(func() { rpc(nd, "strings.ToUpper", "a") }); ` +
			`rounds = append(rounds, figs) }`,
		`js, _ := json.Marshal(rounds); fmt.Println("ship_closure", string(js))`,
		`halt()`,
	}, "\n") + "\n"
}

// GerlShipClosure is gerl's side of ship_closure, through the gerl binary
// c.Exe: node b runs -noshell, node a reads the inputs of
// shipClosureInputs on its stdin. Both use the port mapper on
// c.PortMapperPort; one started by this run is stopped at its end.
func GerlShipClosure(c Config, n, warmup, rounds int) (out Result) {
	res := Result{Name: "ship_closure", Params: map[string]any{"n": n, "warmup": warmup, "rounds": rounds}}
	if res, ok := needGerl(res, c.Exe); !ok {
		return res
	}
	if n < 1 || warmup < 0 || rounds < 1 {
		return failed(res, fmt.Errorf("ship_closure: n %d, warmup %d, rounds %d", n, warmup, rounds))
	}
	dir, err := os.MkdirTemp("", "gerl-bench-closure")
	if err != nil {
		return failed(res, err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "bm.go"), []byte(shipClosureModule), 0o644); err != nil {
		return failed(res, err)
	}
	stopPortMapper := stopStartedPortMapper(c.PortMapperPort, 10*time.Second)
	defer func() {
		if err := stopPortMapper(); err != nil && out.Error == "" {
			out = failed(out, err)
		}
	}()
	env := append(os.Environ(), fmt.Sprintf("GERL_PORTMAPPER_PORT=%d", c.PortMapperPort))
	tag := fmt.Sprintf("bsc%d", os.Getpid())
	nodeB := tag + "b@127.0.0.1"

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var bOut bytes.Buffer
	b := exec.CommandContext(ctx, c.Exe, "-name", nodeB, "-setcookie", "benchcookie", "-noshell")
	b.Env, b.Dir, b.Stdout, b.Stderr = env, dir, &bOut, &bOut
	if err := b.Start(); err != nil {
		return failed(res, fmt.Errorf("start node b: %w", err))
	}
	defer func() {
		_ = b.Process.Kill()
		_ = b.Wait()
	}()

	var aOut bytes.Buffer
	a := exec.CommandContext(ctx, c.Exe, "-name", tag+"a@127.0.0.1", "-setcookie", "benchcookie")
	a.Env, a.Dir, a.Stdout, a.Stderr = env, dir, &aOut, &aOut
	a.Stdin = strings.NewReader(shipClosureInputs(nodeB, n, warmup, rounds))
	if err := a.Run(); err != nil {
		return failed(res, fmt.Errorf("node a: %w: %s (node b: %s)", err, aOut.Bytes(), bOut.Bytes()))
	}
	for _, line := range strings.Split(aOut.String(), "\n") {
		js, ok := strings.CutPrefix(line, "ship_closure ")
		if !ok {
			continue
		}
		if err := json.Unmarshal([]byte(js), &res.Samples); err != nil || len(res.Samples) != rounds {
			return failed(res, fmt.Errorf("node a printed %q, not %d rounds: %v", line, rounds, err))
		}
		res.Figures = medians(res.Samples)
		return res
	}
	return failed(res, fmt.Errorf("node a printed no figures: %s (node b: %s)", aOut.Bytes(), bOut.Bytes()))
}

func closureWorkloads() []Workload {
	return []Workload{
		{"ship_closure", "spawn and rpc of a closure vs a function by name, on another node and on this one, gerl and Erlang",
			func(c Config) []Result {
				n, warmup, rounds := pick(c.Quick, ShipClosureN, 50), pick(c.Quick, ShipClosureWarmup, 5), pick(c.Quick, ShipClosureRounds, 1)
				return append([]Result{GerlShipClosure(c, n, warmup, rounds)},
					Erlang("ship_closure", map[string]int{"n": n, "warmup": warmup, "rounds": rounds})...)
			}},
	}
}
