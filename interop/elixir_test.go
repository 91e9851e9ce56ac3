package interop

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// elixirScript is what the Elixir node runs: ping, a send and its echo, a
// GenServer.call, an rpc of a Go function, each printed on a line.
const elixirScript = `
g = :"g@localhost"
IO.puts("ping #{Node.ping(g)}")
IO.puts("list #{inspect(Node.list())}")
send({:gecho, g}, {self(), {:hello, "from elixir", [1, 2]}})
receive do
  m -> IO.puts("echo #{inspect(m)}")
after
  10_000 -> IO.puts("echo timeout")
end
IO.puts("call #{inspect(GenServer.call({:gsrv, g}, :hello))}")
IO.puts("rpc #{inspect(:rpc.call(g, :strings, :ToUpper, ["elixir"]))}")
IO.puts("global #{inspect(:global.sync())}")
`

// TestElixir: an Elixir node (elixir --sname) pings a gerl node, sends to
// a registered gerl process and gets the echo, calls a gerl process with
// GenServer.call, and runs a Go function by rpc.
func TestElixir(t *testing.T) {
	e := setup(t)
	elixir := testkit.NeedTool(t, "elixir", "elixir")
	g := e.startGerl(t, "g", nil)
	echoProc(t, g, "gecho")
	_, err := g.Node().Spawn(func(p *node.Proc) {
		_ = p.Register("gsrv")
		for {
			if c, ok := p.Receive().(term.Request); ok {
				_ = p.Reply(c, term.T(term.Atom("ok"), c.Body))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	cmd := exec.CommandContext(ctx, elixir, "--sname", "ex@localhost", "--cookie", cookie,
		"--erl", "+S 1 -kernel net_ticktime 4", "-e", elixirScript)
	cmd.Env = append(os.Environ(), "ERL_EPMD_PORT="+strconv.Itoa(e.pm.Port()), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("elixir: %v\n%s", err, out)
	}
	want := []string{
		"ping pong",
		"list [:g@localhost]",
		`echo {:hello, "from elixir", [1, 2]}`,
		"call {:ok, :hello}",
		`rpc "ELIXIR"`,
		"global :ok",
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("elixir printed:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
}
