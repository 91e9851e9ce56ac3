package hotload_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/hotload"
	"github.com/gerl-dev/gerl/hotload/hotloadtest"
	"github.com/gerl-dev/gerl/node"
)

// A counter server survives a reload and serves its next request with the
// new code.
func Example() {
	dir, _ := os.MkdirTemp("", "hotload-example")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "counter.go")
	os.WriteFile(file, []byte(hotloadtest.CounterModule(1)), 0o644)

	env := eval.NewEnv()
	n := node.New(node.Config{OnGoroutine: env.OnGoroutine})
	env.Attach(n)
	defer n.StopTimeout(5 * time.Second)
	srv, err := hotload.New(hotload.Config{Env: env, Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	me, _ := n.Attach("example")

	l, err := srv.Load("counter")
	fmt.Println(l.Module, l.Version, err)
	pid := env.Spawn("counter.Loop", 0)
	fmt.Println(me.Call(pid, "inc", time.Second))

	hotloadtest.SaveLikeEditor(file, hotloadtest.CounterModule(10))
	l, err = srv.Reload("counter")
	fmt.Println(l.Module, l.Version, err)
	fmt.Println(me.Call(pid, "inc", time.Second))

	hotloadtest.SaveLikeEditor(file, hotloadtest.BrokenCounterModule())
	_, err = srv.Reload("counter")
	fmt.Println(err)
	fmt.Println(me.Call(pid, "inc", time.Second))
	// Output:
	// counter 1 <nil>
	// 1 <nil>
	// counter 2 <nil>
	// 11 <nil>
	// load counter: type error: counter.go:14:2: invalid operation: count += "ten" (mismatched types int and untyped string)
	// 21 <nil>
}
