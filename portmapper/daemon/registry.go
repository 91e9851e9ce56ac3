package daemon

import (
	"container/list"
	"math/rand/v2"
	"net"
	"slices"
	"sync"

	"github.com/gerl-dev/gerl/portmapper"
)

// maxRemembered is how many unregistered names the daemon remembers, so that
// a name coming back gets the next creation (epmd's MAX_UNREG_COUNT).
const maxRemembered = 1000

// registration is one live name: the node's fields and the connection that
// keeps it. The connection's goroutine owns conn; STOP may close it.
type registration struct {
	info portmapper.NodeInfo
	seq  uint64 // registration order, for NAMES (newest first, like epmd)
	id   uint64 // connection number, shown by DUMP in place of epmd's fd
	conn net.Conn
	// answered is closed once the ALIVE2 answer is written (or failed):
	// STOP waits for it, so its notice never comes before that answer.
	answered chan struct{}
}

// registry is the daemon's name table. All methods are safe for concurrent
// use; none calls out while holding mu.
//
// Creation numbers: every name has a 32-bit counter. The first time the
// daemon sees a name it seeds the counter with a random value; each
// registration of the name increments it, skipping 0..3 on wrap-around, so
// a node gets a value >= 4 that differs from the one it had before (also
// across daemon restarts, with probability 1-2^-32, where epmd seeds from the
// clock in seconds). Nodes with Highest >= 6 receive the counter itself in
// ALIVE2_X_RESP; older nodes receive counter%3+1 (1..3) in ALIVE2_RESP. Both
// rules are epmd's (OTP 23+). The counters of the last maxRemembered
// unregistered names are kept; an older name starts again from a random seed.
type registry struct {
	mu      sync.RWMutex // protects following
	live    map[string]*registration
	counter map[string]uint32 // creation counter of every live or remembered name
	unused  *list.List        // unregistered names, oldest first
	unusedE map[string]*list.Element
	seq     uint64
	max     int // most live registrations; 0 means no limit
	seed    func() uint32
}

func newRegistry(max int) *registry {
	return &registry{
		live:    make(map[string]*registration),
		counter: make(map[string]uint32),
		unused:  list.New(),
		unusedE: make(map[string]*list.Element),
		max:     max,
		seed:    rand.Uint32,
	}
}

// creationFor maps a counter to the creation a node of the given version
// receives.
func creationFor(counter uint32, highest uint16) uint32 {
	if highest >= 6 {
		return counter
	}
	return counter%3 + 1
}

// register adds r under its name. It fails with portmapper.ErrNameTaken
// when the name is live, and otherwise with portmapper.ErrTableFull when
// the table is full. On success r.seq is set and the creation returned.
func (g *registry) register(r *registration) (creation uint32, err error) {
	name := r.info.Name
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, taken := g.live[name]; taken {
		return 0, portmapper.ErrNameTaken
	}
	if g.max > 0 && len(g.live) >= g.max {
		return 0, portmapper.ErrTableFull
	}
	c, known := g.counter[name]
	if !known {
		c = g.seed()
	}
	if c++; c < 4 {
		c = 4
	}
	g.counter[name] = c
	if e, ok := g.unusedE[name]; ok {
		g.unused.Remove(e)
		delete(g.unusedE, name)
	}
	g.seq++
	r.seq = g.seq
	g.live[name] = r
	return creationFor(c, r.info.Highest), nil
}

// unregister removes r if it is still the live registration of its name (a
// STOP may have removed it and a new node taken the name since). It reports
// whether it removed r.
func (g *registry) unregister(r *registration) bool {
	name := r.info.Name
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live[name] != r {
		return false
	}
	delete(g.live, name)
	g.unusedE[name] = g.unused.PushBack(name)
	for g.unused.Len() > maxRemembered {
		oldest := g.unused.Remove(g.unused.Front()).(string)
		delete(g.unusedE, oldest)
		delete(g.counter, oldest)
	}
	return true
}

// remove unregisters the live registration of name, for STOP, and returns
// it so the caller can close its connection.
func (g *registry) remove(name string) *registration {
	g.mu.RLock()
	r := g.live[name]
	g.mu.RUnlock()
	if r == nil || !g.unregister(r) {
		return nil
	}
	return r
}

// lookup returns the fields of a live name. The Extra slice is shared and
// must not be modified.
func (g *registry) lookup(name string) (portmapper.NodeInfo, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	r, ok := g.live[name]
	if !ok {
		return portmapper.NodeInfo{}, false
	}
	return r.info, true
}

// count returns the number of live registrations.
func (g *registry) count() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.live)
}

// snapshot returns the live registrations, newest first, as epmd lists them.
func (g *registry) snapshot() []registration {
	g.mu.RLock()
	out := make([]registration, 0, len(g.live))
	for _, r := range g.live {
		out = append(out, *r)
	}
	g.mu.RUnlock()
	slices.SortFunc(out, func(a, b registration) int {
		switch {
		case a.seq > b.seq:
			return -1
		case a.seq < b.seq:
			return 1
		}
		return 0
	})
	return out
}
