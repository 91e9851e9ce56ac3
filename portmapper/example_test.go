package portmapper_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// A node registers, another finds it, and the name goes with the
// registration. (Here the daemon runs in the example's process, on a free
// port; nodes use the host's daemon at portmapper.LoopbackAddr(port).)
func Example() {
	pm, err := daemon.Start(daemon.Config{})
	if err != nil {
		panic(err)
	}
	defer pm.Close()
	addr := pm.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	reg, err := portmapper.Register(ctx, addr, portmapper.NodeInfo{
		Name: "foo", Port: 40123, Type: portmapper.NodeTypeNormal,
		Highest: 6, Lowest: 5, Extra: portmapper.GerlExtra()})
	if err != nil {
		panic(err)
	}
	info, err := portmapper.Lookup(ctx, addr, "foo")
	fmt.Println(info.Port, info.IsGerl(), err)

	_, err = portmapper.Register(ctx, addr, portmapper.NodeInfo{Name: "foo", Port: 40124, Highest: 6, Lowest: 5})
	fmt.Println(errors.Is(err, portmapper.ErrNameTaken))

	reg.Close() // unregisters, as soon as the daemon sees the connection close
	for ctx.Err() == nil {
		if _, err = portmapper.Lookup(ctx, addr, "foo"); errors.Is(err, portmapper.ErrNotRegistered) {
			break
		}
		<-time.After(time.Millisecond)
	}
	fmt.Println(errors.Is(err, portmapper.ErrNotRegistered))
	// Output:
	// 40123 true <nil>
	// true
	// true
}

// A node keeps its registration for its whole life with Keep, which
// starts the daemon if none answers and registers again if it restarts.
func ExampleKeep() {
	pm, err := daemon.Start(daemon.Config{})
	if err != nil {
		panic(err)
	}
	defer pm.Close()

	node := portmapper.NodeInfo{Name: "bar", Port: 40200, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5}
	k, err := portmapper.Keep(context.Background(), portmapper.KeeperConfig{
		Port: pm.Port(),
		Node: node,
		// A real node passes portmapper.ExecStarter(os.Executable(), port).
		StartDaemon:  nil,
		OnReregister: func(creation uint32) { fmt.Println("registered again, creation", creation) },
	})
	if err != nil {
		panic(err)
	}
	defer k.Close()

	_, err = portmapper.Keep(context.Background(), portmapper.KeeperConfig{Port: pm.Port(), Node: node})
	fmt.Println(err)
	// Output:
	// a node named bar is already running on this host
}
