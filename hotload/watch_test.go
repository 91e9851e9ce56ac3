package hotload

import (
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/hotload/hotloadtest"
	"github.com/gerl-dev/gerl/internal/testkit"
)

// saveLikeEditor saves text to path as editors do (write a temporary file
// beside it, rename it over the original).
func saveLikeEditor(t *testing.T, path, text string) {
	t.Helper()
	if err := hotloadtest.SaveLikeEditor(path, text); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) version(name string) int {
	info, _ := h.srv.Module(name)
	return info.Version
}

func TestWatchReloadsOnSave(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Debounce = 5 * time.Millisecond })
	counter := h.write("counter.go", counterSrc("v1", 1))
	other := h.write("other.go", "package other\n\nfunc V() int { return 1 }\n")
	h.load("counter")
	h.load("other")
	if was := h.srv.watch(true); was {
		t.Fatal("watching before watch(true)")
	}
	pid, _ := h.spawn("counter.Loop", 0)

	saveLikeEditor(t, counter, counterSrc("v2", 10))
	testkit.Eventually(t, waitTime, "reload after an editor-style save", func() bool { return h.version("counter") == 2 })
	if got := h.request(pid, "inc"); got != 10 {
		t.Fatalf("server after the watched reload: inc = %v", got)
	}

	// A save that changes nothing does not make a version: other's save
	// comes after it, so once other has reloaded, counter's was handled.
	saveLikeEditor(t, counter, counterSrc("v2", 10))
	saveLikeEditor(t, other, "package other\n\nfunc V() int { return 2 }\n")
	testkit.Eventually(t, waitTime, "other reloaded", func() bool { return h.version("other") == 2 })
	if v := h.version("counter"); v != 2 {
		t.Fatalf("an unchanged save made version %d", v)
	}

	// A broken save is logged with its position and changes nothing.
	saveLikeEditor(t, counter, strings.Replace(counterSrc("v3", 1), "n += 1", "n += \"one\"", 1))
	testkit.Eventually(t, waitTime, "failed reload logged", func() bool { return strings.Contains(h.logs.String(), "counter.go:") })
	if got := h.request(pid, "version"); got != "v2" {
		t.Fatalf("after a broken save the server answers %v", got)
	}
	saveLikeEditor(t, counter, counterSrc("v3", 1))
	testkit.Eventually(t, waitTime, "reload after the fix", func() bool { return h.version("counter") == 3 })

	// Modules loaded while watching are watched; watch(false) stops.
	sub := h.write("sub/mod/a.go", "package mod\n\nfunc V() int { return 1 }\n")
	h.load("sub/mod")
	saveLikeEditor(t, sub, "package mod\n\nfunc V() int { return 2 }\n")
	testkit.Eventually(t, waitTime, "directory module reloaded", func() bool { return h.version("mod") == 2 })
	if was := h.srv.watch(false); !was || h.srv.Watching() {
		t.Fatal("watch(false)")
	}
}

func TestLoadModified(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterSrc("v1", 1))
	h.write("other.go", "package other\n\nfunc V() int { return 1 }\n")
	h.load("counter")
	h.load("other")
	h.write("other.go", "package other\n\nfunc V() int { return 2 }\n")
	h.write("counter.go", counterSrc("v1", 1)) // rewritten, unchanged
	got := h.srv.lm()
	if got.String() != "[{module,other}]" {
		t.Fatalf("lm() = %s", got)
	}
	h.write("other.go", "package other\n\nfunc V() int { return \"x\" }\n")
	got = h.srv.lm()
	if !strings.HasPrefix(got.String(), "other.go:3:23: cannot use \"x\"") || !strings.HasSuffix(got.String(), "\n[]") {
		t.Fatalf("lm() with a broken module = %s", got)
	}
}

// The end-to-end recipe of package hotloadtest, through the code server's
// built-ins instead of the binary.
func TestEndToEndRecipe(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Debounce = 5 * time.Millisecond; c.Watch = true })
	sh := newShell(h)
	path := h.write("counter.go", hotloadtest.CounterModule(1))
	sh.expect(`c("counter")`, "{ok,counter}")
	sh.expect(`pid := spawn("counter.Loop", 0); _ = pid`, "")
	sh.expect(`call(pid, "inc")`, "1")
	saveLikeEditor(t, path, hotloadtest.CounterModule(10))
	testkit.Eventually(t, waitTime, "the reload's log line", func() bool {
		return strings.Contains(h.logs.String(), "reloaded after a change") && strings.Contains(h.logs.String(), "version=2")
	})
	sh.expect(`call(pid, "inc")`, "11")
	saveLikeEditor(t, path, hotloadtest.BrokenCounterModule())
	testkit.Eventually(t, waitTime, "the failed reload's log line", func() bool { return strings.Contains(h.logs.String(), "counter.go:14:2") })
	sh.expect(`call(pid, "inc")`, "21")
}
