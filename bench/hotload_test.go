package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gerl-dev/gerl/hotload"
	"github.com/gerl-dev/gerl/hotload/hotloadtest"
)

// TestHotLoadRuns runs the hotload workload once and checks its JSON line
// has the figures.
func TestHotLoadRuns(t *testing.T) {
	r := HotLoad(1)
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["name"] != "hotload" {
		t.Fatalf("bad line %s", b)
	}
	for _, k := range []string{"load_ms", "reload_ms"} {
		if v, ok := m[k].(float64); !ok || v <= 0 {
			t.Fatalf("no %s in %s", k, b)
		}
	}
}

// benchServer is a node with a code server and the hotload module loaded.
func benchServer(b *testing.B) (*hotload.Server, string) {
	b.Helper()
	srv, file, stop := loadableServer(b)
	b.Cleanup(stop)
	if _, err := srv.Load("counter"); err != nil {
		b.Fatal(err)
	}
	return srv, file
}

// loadableServer is a node with a code server and the hotload module
// written to its code path, not loaded yet.
func loadableServer(b *testing.B) (*hotload.Server, string, func()) {
	b.Helper()
	dir := b.TempDir()
	file := filepath.Join(dir, "counter.go")
	if err := os.WriteFile(file, []byte(hotloadtest.CounterModule(1)), 0o644); err != nil {
		b.Fatal(err)
	}
	srv, _, stop, err := newCodeServer(dir)
	if err != nil {
		b.Fatal(err)
	}
	return srv, file, stop
}

// BenchmarkHotLoad is the first load of the module into a new node.
func BenchmarkHotLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv, _, stop := loadableServer(b)
		b.StartTimer()
		if _, err := srv.Load("counter"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		stop()
		b.StartTimer()
	}
}

// BenchmarkHotReload reloads the module, changed each time (the step
// alternates), as the workload's reload_ms does.
func BenchmarkHotReload(b *testing.B) {
	srv, file := benchServer(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := os.WriteFile(file, []byte(hotloadtest.CounterModule(2+i%2)), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := srv.Reload("counter"); err != nil {
			b.Fatal(err)
		}
	}
}
