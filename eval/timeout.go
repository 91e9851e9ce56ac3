package eval

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Timeouts, as erl's: at the prompt, a built-in that takes one (receive,
// sleep, call) accepts milliseconds (an integer, as in erl's after
// clause), a time.Duration, or A("infinity"); in Go, the gerl API takes a
// time.Duration, with Forever for infinity. A negative timeout is an
// error, not "forever" nor "at once".

// timeoutArg reads a timeout given to the built-in what.
func timeoutArg(what string, v any) (time.Duration, error) {
	bad := func(why string) error {
		shown := term.Format(v)
		if d, ok := v.(time.Duration); ok {
			shown = d.String()
		}
		return fmt.Errorf("%s: %s is not a timeout: %s", what, shown, why)
	}
	const want = `want milliseconds (0 or more), a time.Duration, or A("infinity")`
	if d, ok := v.(time.Duration); ok {
		switch {
		case d == node.Forever:
			return node.Forever, nil
		case d < 0:
			return 0, bad("it is negative; " + want)
		}
		return d, nil
	}
	if a, ok := term.AtomOf(v); ok {
		if a == "infinity" {
			return node.Forever, nil
		}
		return 0, bad(want)
	}
	var ms float64 // milliseconds, of any number type
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		ms = float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ms = float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		ms = rv.Float()
	default:
		return 0, bad(want)
	}
	switch {
	case math.IsNaN(ms):
		return 0, bad(want)
	case ms < 0:
		return 0, bad("it is negative; " + want)
	case ms*float64(time.Millisecond) >= math.MaxInt64:
		return 0, bad(`it is too long; for no timeout, say A("infinity")`)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// checkTimeout raises if d, given to the gerl API function what, is
// negative and not Forever.
func checkTimeout(what string, d time.Duration) {
	if d < 0 && d != node.Forever {
		panic(fmt.Errorf("%s: the timeout %v is negative (gerl.Forever waits as long as it takes)", what, d))
	}
}

// forever is how long a sleep with no end waits: until Ctrl-C or a kill.
const forever = time.Duration(math.MaxInt64)

// Sleep pauses the calling process (or goroutine) for d; Forever sleeps
// until the process is killed or, at the prompt, until Ctrl-C. A
// negative d raises.
func (e *Env) Sleep(d time.Duration) {
	checkTimeout("sleep", d)
	if d == node.Forever {
		d = forever
	}
	e.sleep(d)
}

// timeSleep is time.Sleep at the prompt and in modules: Go's semantics (a
// negative or zero d returns at once), but a sleeping process yields to a
// kill and the prompt to Ctrl-C.
func (e *Env) timeSleep(d time.Duration) {
	if d > 0 {
		e.sleep(d)
	}
}

func (e *Env) sleep(d time.Duration) {
	a, ok := e.gor.current()
	if !ok {
		time.Sleep(d)
		return
	}
	interrupted(a.proc.SleepContext(a.context(), d))
}
