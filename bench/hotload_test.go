package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/hotload"
	"github.com/gerl-dev/gerl/interp"
	"github.com/gerl-dev/gerl/node"
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
	dir := b.TempDir()
	file := filepath.Join(dir, "counter.go")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(hotloadModule, "STEP", "1")), 0o644); err != nil {
		b.Fatal(err)
	}
	env := interp.NewEnv()
	nd := node.New(node.Config{OnGoroutine: env.OnGoroutine})
	env.Attach(nd)
	srv, err := hotload.New(hotload.Config{Env: env, Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		srv.Close()
		nd.StopTimeout(10 * time.Second)
	})
	if _, err := srv.Load("counter"); err != nil {
		b.Fatal(err)
	}
	return srv, file
}

// BenchmarkHotLoad is the first load of the module into a new node.
func BenchmarkHotLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "counter.go"), []byte(strings.ReplaceAll(hotloadModule, "STEP", "1")), 0o644); err != nil {
			b.Fatal(err)
		}
		env := interp.NewEnv()
		nd := node.New(node.Config{OnGoroutine: env.OnGoroutine})
		env.Attach(nd)
		srv, err := hotload.New(hotload.Config{Env: env, Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := srv.Load("counter"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		srv.Close()
		nd.StopTimeout(10 * time.Second)
		b.StartTimer()
	}
}

// BenchmarkHotReload reloads the module (a new version each time).
func BenchmarkHotReload(b *testing.B) {
	srv, _ := benchServer(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := srv.Reload("counter"); err != nil {
			b.Fatal(err)
		}
	}
}
