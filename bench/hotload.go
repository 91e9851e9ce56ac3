package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/hotload"
	"github.com/gerl-dev/gerl/hotload/hotloadtest"
	"github.com/gerl-dev/gerl/node"
)

// HotLoadReps is the hotload workload's number of timed repetitions.
const HotLoadReps = 7

// HotLoad is the hotload workload (gerl only): load_ms is the time c()
// takes to load a small module (the counter server of docs/hotload.md,
// hotloadtest.CounterModule) into a node that has loaded none (a new
// code server: parse, type-check, compile in a fresh interpreter, commit),
// reload_ms the time l() takes to load a changed version of it while a
// process serves with it (the same steps, with the type checker's view of
// the imported packages already built). reps timed repetitions after one
// warm-up, each on a new node; medians reported.
func HotLoad(reps int) Result {
	res := Result{Name: "hotload", Params: map[string]any{"reps": reps, "module_lines": strings.Count(hotloadtest.CounterModule(1), "\n")}}
	dir, err := os.MkdirTemp("", "gerl-bench-hotload")
	if err != nil {
		return failed(res, err)
	}
	defer os.RemoveAll(dir)
	for rep := 0; rep <= reps; rep++ {
		load, reload, err := hotloadOnce(dir)
		if err != nil {
			return failed(res, err)
		}
		if rep == 0 {
			continue // warm-up
		}
		res.Samples = append(res.Samples, map[string]float64{
			"load_ms":   float64(load) / float64(time.Millisecond),
			"reload_ms": float64(reload) / float64(time.Millisecond),
		})
	}
	res.Figures = medians(res.Samples)
	return res
}

// hotloadOnce loads the module into a new node, starts a server with it,
// reloads a changed version and checks the server answers with the new
// code.
func hotloadOnce(dir string) (load, reload time.Duration, err error) {
	file := filepath.Join(dir, "counter.go")
	write := func(step int) error {
		return os.WriteFile(file, []byte(hotloadtest.CounterModule(step)), 0o644)
	}
	if err := write(1); err != nil {
		return 0, 0, err
	}
	srv, nd, stop, err := newCodeServer(dir)
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	me, err := nd.Attach("bench")
	if err != nil {
		return 0, 0, err
	}

	t0 := time.Now()
	if _, err := srv.Load("counter"); err != nil {
		return 0, 0, err
	}
	load = time.Since(t0)

	loop, ok := srv.Lookup("counter.Loop")
	if !ok {
		return 0, 0, fmt.Errorf("counter.Loop not found after loading")
	}
	pid, _, err := nd.SpawnFunc(nil, node.SpawnOptions{}, loop, 0)
	if err != nil {
		return 0, 0, err
	}
	if v, err := me.Call(pid, "inc", 10*time.Second); err != nil || v != 1 {
		return 0, 0, fmt.Errorf("version 1 answered %v, %v", v, err)
	}
	if err := write(10); err != nil {
		return 0, 0, err
	}

	t1 := time.Now()
	if _, err := srv.Reload("counter"); err != nil {
		return 0, 0, err
	}
	reload = time.Since(t1)

	if v, err := me.Call(pid, "inc", 10*time.Second); err != nil || v != 11 {
		return 0, 0, fmt.Errorf("after the reload the server answered %v, %v (want 11)", v, err)
	}
	return load, reload, nil
}

// newCodeServer starts a node without distribution and a code server for
// it with dir on its code path; stop stops both.
func newCodeServer(dir string) (srv *hotload.Server, nd *node.Node, stop func(), err error) {
	env := eval.NewEnv()
	nd = node.New(node.Config{OnGoroutine: env.OnGoroutine})
	env.Attach(nd)
	srv, err = hotload.New(hotload.Config{Env: env, Dir: dir})
	if err != nil {
		_ = nd.StopTimeout(10 * time.Second)
		return nil, nil, nil, err
	}
	return srv, nd, func() {
		srv.Close()
		_ = nd.StopTimeout(10 * time.Second)
	}, nil
}
