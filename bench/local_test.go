package bench

import (
	"encoding/json"
	"testing"
)

// TestLocalWorkloadsRun runs each local workload at a tiny size and checks
// its JSON line has the figures Erlang's harness reports.
func TestLocalWorkloadsRun(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		keys []string
	}{
		{LocalPingPong(1000, 1), []string{"roundtrips_per_s", "mean_rtt_us"}},
		{LocalFanIn(4, 4000, 1), []string{"msgs_per_s"}},
		{Spawn(1000, 1), []string{"us_per_spawn", "bytes_per_proc", "kill_all_ms"}},
	} {
		if tc.r.Error != "" {
			t.Fatalf("%s: %s", tc.r.Name, tc.r.Error)
		}
		b, err := json.Marshal(tc.r)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		if m["impl"] != "gerl" || m["name"] != tc.r.Name {
			t.Fatalf("bad line %s", b)
		}
		for _, k := range tc.keys {
			if v, ok := m[k].(float64); !ok || v <= 0 {
				t.Errorf("%s: figure %s = %v in %s", tc.r.Name, k, m[k], b)
			}
		}
	}
}

func BenchmarkLocalPingPong(b *testing.B) {
	r := LocalPingPong(b.N, 1)
	b.ReportMetric(r.Figures["mean_rtt_us"]*1000, "ns/roundtrip")
}

func BenchmarkLocalFanIn(b *testing.B) {
	n := b.N
	if n < 4 {
		n = 4
	}
	r := LocalFanIn(4, n-n%4, 1)
	b.ReportMetric(r.Figures["msgs_per_s"], "msgs/s")
}

func BenchmarkSpawn(b *testing.B) {
	r := Spawn(b.N, 1)
	b.ReportMetric(r.Figures["us_per_spawn"]*1000, "ns/spawn")
	b.ReportMetric(r.Figures["bytes_per_proc"], "bytes/proc")
}

func TestInterpWorkloadsRun(t *testing.T) {
	for _, r := range []Result{InterpPingPong(200, 1), InterpFanIn(4, 400, 1), EvalLatency(10)} {
		if r.Error != "" {
			t.Fatalf("%s: %s", r.Name, r.Error)
		}
		if len(r.Figures) == 0 {
			t.Fatalf("%s: no figures", r.Name)
		}
		for k, v := range r.Figures {
			if v <= 0 {
				t.Errorf("%s: %s = %v", r.Name, k, v)
			}
		}
	}
}

func BenchmarkInterpPingPong(b *testing.B) {
	r := InterpPingPong(max(b.N, 100), 1)
	if r.Error != "" {
		b.Fatal(r.Error)
	}
	b.ReportMetric(r.Figures["mean_rtt_us"]*1000, "ns/roundtrip")
}
