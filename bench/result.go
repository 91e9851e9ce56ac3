package bench

import (
	"encoding/json"
	"math"
	"runtime"
	"sort"
	"time"

	"github.com/gerl-dev/gerl/internal/tuning"
)

// Result is one workload's outcome: the name, the parameters, the headline
// figures under the keys Erlang's results use (roundtrips_per_s,
// mean_rtt_us, msgs_per_s, ...), and every repetition's figures.
type Result struct {
	Name    string
	Impl    string // "gerl" when empty; "erlang" for Erlang's side (erlang.go)
	Params  map[string]any
	Figures map[string]float64
	Samples []map[string]float64
	Error   string
}

// MarshalJSON flattens the figures next to name, impl, params and samples.
func (r Result) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"name":       r.Name,
		"impl":       "gerl",
		"params":     r.Params,
		"ts":         time.Now().UTC().Format(time.RFC3339),
		"schedulers": tuning.MaxProcs(), // not GOMAXPROCS now: the compactor may have lowered it
		"go":         runtime.Version(),
	}
	if r.Impl != "" && r.Impl != "gerl" {
		m["impl"] = r.Impl
		delete(m, "go")
	}
	if r.Error != "" {
		m["error"] = r.Error
	}
	for k, v := range r.Figures {
		m[k] = round(v)
	}
	if len(r.Samples) > 0 {
		s := make([]map[string]float64, len(r.Samples))
		for i, sm := range r.Samples {
			s[i] = make(map[string]float64, len(sm))
			for k, v := range sm {
				s[i][k] = round(v)
			}
		}
		m["samples"] = s
	}
	return json.Marshal(m)
}

func round(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*1000) / 1000
}

// medians returns, for every key of the samples, the median over them
// (the mean of the two middle values for an even count, as Erlang's
// harness does).
func medians(samples []map[string]float64) map[string]float64 {
	keys := map[string]bool{}
	for _, s := range samples {
		for k := range s {
			keys[k] = true
		}
	}
	out := make(map[string]float64, len(keys))
	for k := range keys {
		var vs []float64
		for _, s := range samples {
			if v, ok := s[k]; ok {
				vs = append(vs, v)
			}
		}
		out[k] = median(vs)
	}
	return out
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
