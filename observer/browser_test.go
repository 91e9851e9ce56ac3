package observer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/supervisor"
)

// screenshotsEnv names a directory where TestPageInBrowser also writes its
// screenshots (docs/images, for docs/observer.md).
const screenshotsEnv = "GERL_OBSERVER_SCREENSHOTS"

// TestPageInBrowser opens the page of a two-node cluster in headless
// Chromium and uses it as a reader of docs/observer.md would: the other
// node's registered process appears, a supervisor child killed from the
// page reappears with its restart count, and a traced ping-pong draws its
// arrows. Screenshots go to the test's artifact directory.
func TestPageInBrowser(t *testing.T) {
	chromium := testkit.NeedTool(t, "chromium", "chromium")
	ns := startCluster(t, "foo@mem", "bar@mem")
	foo, bar := ns[0], ns[1]
	base := serve(t, foo)
	pong, err := bar.node.Spawn(pongServer)
	if err != nil {
		t.Fatal(err)
	}
	if err := bar.node.Register("pong", pong); err != nil {
		t.Fatal(err)
	}
	sup, err := supervisor.Start(bar.node, supervisor.Spec{Name: "sup", Intensity: 5, Period: time.Minute,
		Children: []supervisor.Child{
			{ID: "divider", Start: func(p *node.Proc) { p.Receive() }, Name: "divider"},
			{ID: "logger", Start: func(p *node.Proc) { p.Receive() }},
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sup.Stop(waitTime) }()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 820),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()
	// The first action starts the browser: its context has no deadline
	// (one would stop the browser); every later step has one.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	shots := t.ArtifactDir()
	extra := os.Getenv(screenshotsEnv)
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, waitTime)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			dctx, dcancel := context.WithTimeout(bctx, 5*time.Second)
			defer dcancel()
			html, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.querySelector('main').outerHTML`))
			t.Fatalf("%s: %v\nthe page:\n%s", what, err, html)
		}
	}
	value := func(what string, expr string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, waitTime)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, waitTime)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		for _, dir := range []string{shots, extra} {
			if dir == "" {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	// click clicks what sel matches, in one step inside the page, as soon as
	// it is there. The page re-renders its live parts (the node table as
	// updates stream in, the process table and the details every 2 s, the
	// trees), and chromedp.Click is
	// several protocol calls (find the node, scroll to it, press the mouse
	// on it): a re-render in between loses the node ("Could not find node
	// with given id"). The static parts (tabs, the trace toolbar) take real
	// mouse clicks.
	click := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`(() => { const e = document.querySelector(` + strconv.Quote(sel) +
			`); if (!e) return false; e.click(); return true })()`)
	}

	step("open the page and see bar in the cluster",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css(`#nodes tr[data-node="bar@mem"][data-state="up"]`)),
		chromedp.WaitVisible(css(`#graph g.node[data-node="bar@mem"]`)))
	shot("cluster.png")

	step("bar's registered process appears in its process table",
		click(`#nodes tr[data-node="bar@mem"]`),
		chromedp.WaitVisible(css(`#procs tr[data-name="pong"]`)),
		click(`#procs tr[data-name="pong"]`),
		chromedp.WaitVisible(css(`#detail h2`)))
	shot("processes.png")

	step("the supervisor's tree", chromedp.Click(css(`button[data-tab="trees"]`)),
		chromedp.WaitVisible(css(`.tree [data-id="divider"][data-restarts="0"] a.pid`)))
	killed := value("the divider's pid", `document.querySelector('.tree [data-id="divider"] a.pid').textContent`)
	step("a supervisor child killed from the page reappears with its restart count",
		click(`.tree [data-id="divider"] a.pid`),
		// the details of the divider, not those of pong shown before
		chromedp.Poll[chromedp.Void](`document.querySelector('#detail h2').textContent === `+strconv.Quote(killed)),
		chromedp.WaitVisible(css(`#detail #kill`)),
		click(`#detail #kill`),
		chromedp.Click(css(`button[data-tab="trees"]`)),
		chromedp.WaitVisible(css(`.tree [data-id="divider"][data-restarts="1"] a.pid`)))
	shot("supervision.png")
	if now := value("the new pid", `document.querySelector('.tree [data-id="divider"] a.pid').textContent`); now == killed || now == "" {
		t.Fatalf("the divider's pid is still %q after the kill", now)
	}

	// The ping-pong: a pinger on foo, traced from the page with pong.
	const rounds = 2
	me, pinger := startPinger(t, foo, "bar@mem", rounds)
	step("trace pong and the pinger from the page",
		chromedp.Click(css(`button[data-tab="trace"]`)),
		chromedp.SetValue(css(`#trace-target`), "pong"),
		chromedp.Click(css(`#trace-on`)))
	testkit.Eventually(t, waitTime, "pong traced", func() bool { _, b := bar.node.Tracing(); return len(b) == 1 })
	step("trace the pinger", chromedp.SetValue(css(`#trace-target`), pinger.String()), chromedp.Click(css(`#trace-on`)))
	testkit.Eventually(t, waitTime, "the pinger traced", func() bool { _, a := foo.node.Tracing(); return len(a) == 1 })
	playPingPong(t, me, pinger)
	pings := fmt.Sprintf(`#seq g.arrow.cross-node[data-from=%q][data-to=%q]`, pinger.String(), pong.String())
	pongs := fmt.Sprintf(`#seq g.arrow.cross-node[data-from=%q][data-to=%q]`, pong.String(), pinger.String())
	step("the ping-pong draws its arrows", void(chromedp.Poll[chromedp.Void](fmt.Sprintf(
		"document.querySelectorAll(%q).length >= %d && document.querySelectorAll(%q).length >= %d", pings, rounds, pongs, rounds))))
	shot("trace.png")
	count := func(sel string) string {
		return value("count "+sel, fmt.Sprintf("String(document.querySelectorAll(%q).length)", sel))
	}
	if p, q := count(pings), count(pongs); p != fmt.Sprint(rounds) || q != fmt.Sprint(rounds) {
		t.Fatalf("%s ping arrows and %s pong arrows, want %d of each", p, q, rounds)
	}
}

// void makes an action that returns a value a step of chromedp.Do.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
