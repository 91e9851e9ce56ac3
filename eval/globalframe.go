package eval

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	yaegi "github.com/traefik/yaegi/interp"
)

// globalFrame keeps yaegi's global frame from moving under running code,
// most of the time.
//
// yaegi keeps an interpreter's global variables, and the temporaries of
// code run at the top level, in one slice, its global frame's data. Before
// running new code, Execute grows it to the size the compiler asked for by
// allocating a new slice and replacing the old one (yaegi v0.16.1
// interp/interp.go:479, resizeFrame), while code compiled earlier, in
// processes and goroutines, reads and writes its slots with no lock
// (interp/value.go:139 and others): a data race between nearly every input
// (most add a slot or two) and every process that uses a global, which
// could also lose a process's write to a global made during the copy.
//
// So gerl gives the slice room in advance, half again what is needed, and
// initializes the slots a compilation adds itself, exactly as resizeFrame
// would (a fresh zero value of each slot's type), before Execute:
// resizeFrame then finds the frame big enough and leaves it alone. The
// slice moves only when the room runs out, a few times in a session's life
// (at 64 slots, 96, 144...: an input adds about three), instead of at
// every input; those moves are still the race, named in
// testkit.SkipYaegiRace. Room is not free: yaegi copies the whole global
// frame into each closure created at the top level (frame.clone), so the
// room is kept within half again what yaegi would allocate itself, past
// the first 64 slots (1.5 KB per such closure: the first twenty inputs).
//
// It reaches yaegi's unexported fields through reflect offsets looked up by
// name and checked by type, as runControl does: a yaegi whose layout
// differs fails at New, loudly.
type globalFrame struct {
	data  *[]reflect.Value // the global frame's data
	mu    *sync.RWMutex    // the global frame's mutex
	types *[]reflect.Type  // the universe scope's types: the slots compiled code uses
	ready int              // slots initialized so far
}

func newGlobalFrame(i *yaegi.Interpreter) (*globalFrame, error) {
	need := func(t reflect.Type, name string, want string) (reflect.StructField, error) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type.String() != want {
			return f, fmt.Errorf("yaegi's %s has no field %s of type %s: this gerl needs yaegi v0.16.1", t, name, want)
		}
		return f, nil
	}
	it := reflect.TypeFor[yaegi.Interpreter]()
	frameF, err := need(it, "frame", "*interp.frame")
	if err != nil {
		return nil, err
	}
	univF, err := need(it, "universe", "*interp.scope")
	if err != nil {
		return nil, err
	}
	dataF, err := need(frameF.Type.Elem(), "data", "[]reflect.Value")
	if err != nil {
		return nil, err
	}
	muF, err := need(frameF.Type.Elem(), "mutex", "sync.RWMutex")
	if err != nil {
		return nil, err
	}
	typesF, err := need(univF.Type.Elem(), "types", "[]reflect.Type")
	if err != nil {
		return nil, err
	}
	base := unsafe.Pointer(i)
	frame := *(*unsafe.Pointer)(unsafe.Add(base, frameF.Offset))
	univ := *(*unsafe.Pointer)(unsafe.Add(base, univF.Offset))
	if frame == nil || univ == nil {
		return nil, fmt.Errorf("yaegi's interpreter has no global frame or universe yet")
	}
	g := &globalFrame{
		data:  (*[]reflect.Value)(unsafe.Add(frame, dataF.Offset)),
		mu:    (*sync.RWMutex)(unsafe.Add(frame, muF.Offset)),
		types: (*[]reflect.Type)(unsafe.Add(univ, typesF.Offset)),
	}
	g.mu.Lock()
	g.ready = len(*g.data) // what yaegi initialized so far
	g.mu.Unlock()
	g.prepare()
	return g, nil
}

// prepare initializes the slots compiled code added since the last call,
// making room first if there is not enough. Call it after compiling and
// before executing, on the goroutine that compiled, with the session's
// evalMu held (or in the input holding it).
func (g *globalFrame) prepare() {
	g.mu.Lock()
	defer g.mu.Unlock()
	types := *g.types
	if len(types) > len(*g.data) || len(*g.data) < frameRoom {
		data := make([]reflect.Value, max(frameRoom, len(types)+len(types)/2))
		copy(data, *g.data)
		*g.data = data // moves: the race this type keeps rare
	}
	data := *g.data
	for j := g.ready; j < len(types); j++ {
		data[j] = reflect.New(types[j]).Elem()
	}
	g.ready = max(g.ready, len(types))
}
