package bench

import (
	"fmt"
	"slices"
	"time"
)

// Workloads of global names and process groups, each run on gerl and on
// Erlang/OTP (erlang.go) in the same run, with the same shape: nodes are
// separate OS processes (gerl bench peer, or erl peers), and every time is
// taken inside the nodes.
//
//	global_names  on 5 nodes, node 1 registers N names (each a new process)
//	              one at a time, node 2 looks them all up, node 1
//	              unregisters them: register median and p99 (µs),
//	              lookup (ns), unregister mean (µs)
//	pg_converge   on K nodes (5, 16), one node joins a new process to a new
//	              group; convergence is when the last other node's
//	              subscription (pg.Monitor) delivers the join (ms, wall
//	              clock across processes, as mesh_form)
//	pg_publish    4 nodes, 250 subscribers each in one group; node 1 sends a
//	              message to every member; latency is when the last
//	              subscriber has it (each reports to its node's collector)
const (
	GlobalNodes    = 5
	GlobalNamesN   = 1000
	GlobalReps     = 5
	GlobalLookups  = 20 // rounds of lookups of the N names
	PGConvergeReps = 20
	PGPublishNodes = 4
	PGPublishSubs  = 1000
	PGPublishReps  = 50
)

// startMesh starts k peers, connects them (each to the first; the mesh
// does the rest), starts their services and syncs them.
func startMesh(pc PeerCmd, k int) (*peerCluster, []*peerProc, error) {
	c, err := newCluster(pc)
	if err != nil {
		return nil, nil, err
	}
	peers, err := c.startAll("g", k)
	if err != nil {
		c.close()
		return nil, nil, err
	}
	fail := func(err error) (*peerCluster, []*peerProc, error) {
		c.close()
		return nil, nil, err
	}
	for _, p := range peers {
		if err := p.call(30*time.Second, nil, "services"); err != nil {
			return fail(err)
		}
	}
	for _, p := range peers[1:] {
		if err := peers[0].call(30*time.Second, nil, "ping %s", p.name); err != nil {
			return fail(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for _, p := range peers {
		for {
			var nodes []string
			if err := p.call(30*time.Second, &nodes, "nodes"); err != nil {
				return fail(err)
			}
			if len(nodes) == k-1 {
				break
			}
			if time.Now().After(deadline) {
				return fail(fmt.Errorf("%s sees %d nodes of %d after a minute", p.name, len(nodes), k-1))
			}
		}
	}
	for _, p := range peers {
		if err := p.call(30*time.Second, nil, "sync"); err != nil {
			return fail(err)
		}
	}
	return c, peers, nil
}

// GlobalNames is the global_names workload on gerl.
func GlobalNames(pc PeerCmd, k, n, reps int) Result {
	res := Result{Name: "global_names", Params: map[string]any{"nodes": k, "names": n, "reps": reps, "lookup_rounds": GlobalLookups}}
	c, peers, err := startMesh(pc, k)
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	for rep := 0; rep < reps; rep++ {
		var reg, unreg map[string]float64
		var look map[string]float64
		if err := peers[0].call(5*time.Minute, &reg, "global_register %d", n); err != nil {
			return failed(res, err)
		}
		if err := peers[1].call(time.Minute, nil, "sync"); err != nil {
			return failed(res, err)
		}
		if err := peers[1].call(time.Minute, &look, "global_lookup %d %d", n, GlobalLookups); err != nil {
			return failed(res, err)
		}
		if look["found"] != float64(n*GlobalLookups) {
			return failed(res, fmt.Errorf("node 2 found %v of %d names", look["found"], n*GlobalLookups))
		}
		if err := peers[0].call(5*time.Minute, &unreg, "global_unregister %d", n); err != nil {
			return failed(res, err)
		}
		res.Samples = append(res.Samples, map[string]float64{
			"register_median_us": reg["median_us"], "register_p99_us": reg["p99_us"], "register_mean_us": reg["mean_us"],
			"lookup_ns": look["ns"], "unregister_mean_us": unreg["mean_us"],
		})
	}
	res.Figures = medians(res.Samples)
	return res
}

// PGConverge is the pg_converge workload on gerl, on k nodes.
func PGConverge(pc PeerCmd, k, reps int) Result {
	res := Result{Name: "pg_converge", Params: map[string]any{"nodes": k, "reps": reps}}
	c, peers, err := startMesh(pc, k)
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	for rep := 0; rep < reps; rep++ {
		group := fmt.Sprintf("conv%d", rep)
		joiner := peers[rep%k]
		var watchers []*peerProc
		for _, p := range peers {
			if p != joiner {
				watchers = append(watchers, p)
			}
		}
		for _, p := range watchers {
			if err := p.call(30*time.Second, nil, "pg_watch %s", group); err != nil {
				return failed(res, err)
			}
		}
		for _, p := range watchers {
			if err := p.send("pg_wait"); err != nil {
				return failed(res, err)
			}
		}
		var join map[string]float64
		if err := joiner.call(30*time.Second, &join, "pg_join %s", group); err != nil {
			return failed(res, err)
		}
		last := 0.0
		for _, p := range watchers {
			var w map[string]float64
			if err := p.answer(time.Minute, &w); err != nil {
				return failed(res, err)
			}
			last = max(last, w["at_ns"])
		}
		if rep > 0 || reps == 1 { // the first is a warm-up
			res.Samples = append(res.Samples, map[string]float64{"converge_ms": (last - join["t0_ns"]) / 1e6})
		}
	}
	res.Figures = spread(res.Samples, "converge_ms")
	return res
}

// PGPublish is the pg_publish workload on gerl.
func PGPublish(pc PeerCmd, k, subs, reps int) Result {
	res := Result{Name: "pg_publish", Params: map[string]any{"nodes": k, "subscribers": subs, "reps": reps}}
	c, peers, err := startMesh(pc, k)
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	for _, p := range peers {
		if err := p.call(time.Minute, nil, "pg_subscribe news %d", subs/k); err != nil {
			return failed(res, err)
		}
	}
	var count map[string]float64
	if err := peers[0].call(time.Minute, &count, "pg_count news"); err != nil {
		return failed(res, err)
	}
	if int(count["members"]) != subs/k*k {
		return failed(res, fmt.Errorf("node 1 sees %v subscribers of %d", count["members"], subs/k*k))
	}
	for rep := 0; rep <= reps; rep++ { // rep 0 is the warm-up
		for _, p := range peers[1:] {
			if err := p.send("pg_expect %d", rep); err != nil {
				return failed(res, err)
			}
		}
		var pub map[string]float64
		if err := peers[0].call(time.Minute, &pub, "pg_publish news %d", rep); err != nil {
			return failed(res, err)
		}
		last := pub["local_at_ns"]
		for _, p := range peers[1:] {
			var e map[string]float64
			if err := p.answer(time.Minute, &e); err != nil {
				return failed(res, err)
			}
			last = max(last, e["at_ns"])
		}
		if rep > 0 {
			res.Samples = append(res.Samples, map[string]float64{"publish_ms": (last - pub["t0_ns"]) / 1e6, "sent": pub["sent"]})
		}
	}
	res.Figures = spread(res.Samples, "publish_ms")
	return res
}

// spread is the median, min and max of one key of the samples.
func spread(samples []map[string]float64, key string) map[string]float64 {
	var vs []float64
	for _, s := range samples {
		vs = append(vs, s[key])
	}
	if len(vs) == 0 {
		return nil
	}
	return map[string]float64{"median_" + key[:len(key)-3] + "_ms": median(vs), "min_ms": slices.Min(vs), "max_ms": slices.Max(vs)}
}

// groupsWorkloads returns the global and pg workloads, each on gerl and on
// Erlang.
func groupsWorkloads() []Workload {
	return []Workload{
		{"global_names", "global register/lookup/unregister of 1000 names on 5 nodes, gerl and Erlang",
			func(c Config) []Result {
				n, reps := pick(c.Quick, GlobalNamesN, 50), pick(c.Quick, GlobalReps, 1)
				return append([]Result{GlobalNames(c.Peer, GlobalNodes, n, reps)},
					Erlang("global_names", map[string]int{"nodes": GlobalNodes, "names": n, "reps": reps, "lookup_rounds": GlobalLookups})...)
			}},
		{"pg_converge", "a pg join seen on every other node, 5 and 16 nodes, gerl and Erlang",
			func(c Config) []Result {
				reps := pick(c.Quick, PGConvergeReps, 2)
				var out []Result
				for _, k := range []int{5, 16} {
					out = append(out, PGConverge(c.Peer, k, reps))
					out = append(out, Erlang("pg_converge", map[string]int{"nodes": k, "reps": reps})...)
				}
				return out
			}},
		{"pg_publish", "a message to 1000 group members on 4 nodes, gerl and Erlang",
			func(c Config) []Result {
				subs, reps := pick(c.Quick, PGPublishSubs, 40), pick(c.Quick, PGPublishReps, 2)
				return append([]Result{PGPublish(c.Peer, PGPublishNodes, subs, reps)},
					Erlang("pg_publish", map[string]int{"nodes": PGPublishNodes, "subscribers": subs, "reps": reps})...)
			}},
	}
}
