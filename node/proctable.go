package node

import (
	"sync"
	"sync/atomic"
)

// procTable maps process ids to live processes. Ids are handed out in
// increasing order and never reused; each id owns one slot in a three-level
// radix table (256 x 256 x 1024 slots, the low 26 bits of the id), so a
// lookup is three atomic loads and no lock, and a process costs one pointer
// of table space. A slot is reused only after 2^26 further spawns, and only
// if its previous owner has exited: the allocator skips ids whose slot is
// still taken, and lookups compare the full 64-bit id.
//
// Concurrency: lookup and remove may run from any goroutine without locks;
// insert (spawn) serializes on mu. A leaf is released when its last
// process exits, so a node that spawns millions of short-lived processes
// does not keep their slots.
type procTable struct {
	mu     sync.Mutex // serializes insert and leaf allocation/release
	nextID uint64     // guarded by mu
	root   [tableFanout]atomic.Pointer[tableMid]
	count  atomic.Int64 // live processes
}

const (
	leafBits    = 10
	leafSize    = 1 << leafBits
	fanoutBits  = 8
	tableFanout = 1 << fanoutBits
	slotBits    = leafBits + 2*fanoutBits
	slotMask    = 1<<slotBits - 1
)

type tableMid struct {
	leaves [tableFanout]atomic.Pointer[tableLeaf]
}

type tableLeaf struct {
	slots [leafSize]atomic.Pointer[Proc]
	live  atomic.Int32
}

func splitSlot(id uint64) (hi, mid, lo uint64) {
	s := id & slotMask
	return s >> (leafBits + fanoutBits), (s >> leafBits) & (tableFanout - 1), s & (leafSize - 1)
}

// lookup returns the live process with id, or nil.
func (t *procTable) lookup(id uint64) *Proc {
	hi, mid, lo := splitSlot(id)
	m := t.root[hi].Load()
	if m == nil {
		return nil
	}
	l := m.leaves[mid].Load()
	if l == nil {
		return nil
	}
	p := l.slots[lo].Load()
	if p == nil || p.id != id {
		return nil
	}
	return p
}

// insert assigns p a fresh id and publishes it.
func (t *procTable) insert(p *Proc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		t.nextID++
		id := t.nextID
		hi, mid, lo := splitSlot(id)
		m := t.root[hi].Load()
		if m == nil {
			m = new(tableMid)
			t.root[hi].Store(m)
		}
		l := m.leaves[mid].Load()
		if l == nil {
			l = new(tableLeaf)
			m.leaves[mid].Store(l)
		}
		if l.slots[lo].Load() != nil {
			continue // still owned by a process from 2^26 spawns ago
		}
		p.id = id
		l.live.Add(1)
		l.slots[lo].Store(p)
		t.count.Add(1)
		return
	}
}

// remove unpublishes p; later lookups of its id return nil.
func (t *procTable) remove(p *Proc) {
	hi, mid, lo := splitSlot(p.id)
	m := t.root[hi].Load()
	if m == nil {
		return
	}
	l := m.leaves[mid].Load()
	if l == nil || !l.slots[lo].CompareAndSwap(p, nil) {
		return
	}
	t.count.Add(-1)
	if l.live.Add(-1) == 0 {
		t.release(p.id, l)
	}
}

// release frees an empty leaf. insert makes a new one when it next needs
// that leaf, so this holds whether or not the allocator has moved on.
func (t *procTable) release(id uint64, l *tableLeaf) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hi, mid, _ := splitSlot(id)
	if l.live.Load() != 0 {
		return // a process landed here meanwhile
	}
	m := t.root[hi].Load()
	m.leaves[mid].CompareAndSwap(l, nil)
}

// each calls fn for every live process, in id order within each leaf.
// Processes spawned or exiting during the walk may or may not be seen.
func (t *procTable) each(fn func(*Proc) bool) {
	for i := range t.root {
		m := t.root[i].Load()
		if m == nil {
			continue
		}
		for j := range m.leaves {
			l := m.leaves[j].Load()
			if l == nil {
				continue
			}
			for k := range l.slots {
				if p := l.slots[k].Load(); p != nil {
					if !fn(p) {
						return
					}
				}
			}
		}
	}
}
