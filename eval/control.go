package eval

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	yaegi "github.com/traefik/yaegi/interp"
)

// runControl stops and resumes the code a yaegi interpreter runs, which
// yaegi v0.16.1 only offers through EvalWithContext: that runs the input on
// a goroutine of its own (so the shell could not know which goroutine is
// the shell process) and stops every frame the interpreter ever created, so
// closures defined before an interrupt silently return zero values forever
// after (measured with yaegi v0.16.1).
//
// yaegi stops code by bumping Interpreter.id: a frame runs only while its id
// equals the interpreter's; and by closing Interpreter.done, which
// cancellable channel operations select on. runControl does the same on the
// shell's own goroutine, and can put the id back once the interrupted input
// has returned, so code defined earlier keeps working. It reaches the
// unexported fields through their reflect offsets, looked up by name and
// type, so a yaegi version that renames them fails at New, loudly, not at
// run time; this package's tests pin the behaviour.
type runControl struct {
	id         *uint64
	mu         *sync.RWMutex
	done       *chan struct{}
	cancelChan *bool
}

func newRunControl(i *yaegi.Interpreter) (*runControl, error) {
	base := unsafe.Pointer(i)
	t := reflect.TypeFor[yaegi.Interpreter]()
	field := func(name string, want reflect.Type) (unsafe.Pointer, error) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type != want {
			return nil, fmt.Errorf("yaegi Interpreter has no field %s of type %s: this gerl needs yaegi v0.16.1", name, want)
		}
		return unsafe.Add(base, f.Offset), nil
	}
	id, err := field("id", reflect.TypeFor[uint64]())
	if err != nil {
		return nil, err
	}
	mu, err := field("mutex", reflect.TypeFor[sync.RWMutex]())
	if err != nil {
		return nil, err
	}
	done, err := field("done", reflect.TypeFor[chan struct{}]())
	if err != nil {
		return nil, err
	}
	cc, err := field("cancelChan", reflect.TypeFor[bool]())
	if err != nil {
		return nil, err
	}
	c := &runControl{id: (*uint64)(id), mu: (*sync.RWMutex)(mu), done: (*chan struct{})(done), cancelChan: (*bool)(cc)}
	// Compile channel operations in their cancellable form, as
	// EvalWithContext does, so a blocked <-ch at the prompt can be stopped.
	c.mu.Lock()
	*c.cancelChan = true
	c.mu.Unlock()
	return c, nil
}

// begin prepares a run: a fresh done channel for the frames it creates.
// Called before Execute, on the goroutine that will run it.
func (c *runControl) begin() {
	c.mu.Lock()
	*c.done = make(chan struct{})
	c.mu.Unlock()
}

// stop makes every running frame of the interpreter return at its next
// instruction, and blocked channel operations of this run give up. It
// returns the run id to pass to resume.
func (c *runControl) stop() uint64 {
	old := atomic.AddUint64(c.id, 1) - 1
	c.mu.Lock()
	if ch := *c.done; ch != nil {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
	c.mu.Unlock()
	return old
}

// resume undoes stop once the stopped run has returned: frames created
// before it run again. Frames that returned meanwhile stay returned.
func (c *runControl) resume(old uint64) {
	atomic.StoreUint64(c.id, old)
}
