package portmapper

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// The package's tests are in two packages: portmapper (the wire format,
// and the client against fake daemons) and portmapper_test (the client and
// the Keeper against the real daemon of portmapper/daemon, which imports
// this package).

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
