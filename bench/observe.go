package bench

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/observer"
)

// ObserveEnv, set to 1, makes the local_fanin and remote workloads run
// with their nodes observed: each node serves the observer's page, and a
// client holds it open as a browser would (the event stream, and the
// process table fetched every 2 s). docs/performance.md compares the
// figures with and without.
const ObserveEnv = "GERL_BENCH_OBSERVE"

// observing reports whether ObserveEnv asks for observed nodes.
func observing() bool { return os.Getenv(ObserveEnv) == "1" }

// observe starts an observer on n (d nil without distribution), serves
// its page and keeps it open until the returned function is called.
func observe(n *node.Node, d *cluster.Dist) (stop func(), err error) {
	env := eval.NewEnv()
	env.Attach(n)
	if d != nil {
		env.SetCluster(eval.DistCluster(d))
	}
	a, err := observer.Start(observer.Config{Env: env, Dist: d})
	if err != nil {
		return nil, err
	}
	url, err := a.Serve("127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { // the page's event stream
		defer func() { done <- struct{}{} }()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"api/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
		}
	}()
	go func() { // the process table, as the page refreshes it
		defer func() { done <- struct{}{} }()
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"api/processes?limit=100", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		<-done
		a.Close()
	}, nil
}
