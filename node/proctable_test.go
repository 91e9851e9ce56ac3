package node

import (
	"sync"
	"testing"
)

func TestProcTable(t *testing.T) {
	var tab procTable
	ps := make([]*Proc, 3000)
	for i := range ps {
		ps[i] = &Proc{}
		tab.insert(ps[i])
	}
	for i, p := range ps {
		if p.id != uint64(i+1) || tab.lookup(p.id) != p {
			t.Fatalf("proc %d: id %d, lookup %p", i, p.id, tab.lookup(p.id))
		}
	}
	if tab.count.Load() != 3000 {
		t.Fatalf("count %d", tab.count.Load())
	}
	// Remove the first leaf entirely: it is released.
	for _, p := range ps[:leafSize] {
		tab.remove(p)
	}
	if tab.root[0].Load().leaves[0].Load() != nil {
		t.Fatal("empty leaf behind the cursor was kept")
	}
	// A leaf emptied while the cursor is still in it is released too, and
	// made again when needed.
	var seq procTable
	for i := 0; i < 3*leafSize; i++ {
		p := &Proc{}
		seq.insert(p)
		seq.remove(p)
	}
	leaves := 0
	for j := range seq.root[0].Load().leaves {
		if seq.root[0].Load().leaves[j].Load() != nil {
			leaves++
		}
	}
	if leaves != 0 {
		t.Fatalf("%d leaves kept by one-at-a-time spawns", leaves)
	}
	if tab.lookup(ps[5].id) != nil || tab.lookup(ps[2000].id) != ps[2000] {
		t.Fatal("lookups after release are wrong")
	}
	tab.remove(ps[5]) // double remove is harmless
	if tab.lookup(1<<40) != nil {
		t.Fatal("lookup of a never-used id found something")
	}
	seen := 0
	tab.each(func(*Proc) bool { seen++; return true })
	if seen != 3000-leafSize {
		t.Fatalf("each saw %d", seen)
	}
}

func TestProcTableWrapSkipsLiveSlots(t *testing.T) {
	var tab procTable
	live := &Proc{}
	tab.insert(live)      // id 1, slot 1
	tab.nextID = slotMask // the next id maps to slot 0, then slot 1
	a, b := &Proc{}, &Proc{}
	tab.insert(a)
	tab.insert(b)
	if a.id != slotMask+1 || b.id != slotMask+3 {
		t.Fatalf("ids after wrap: %d, %d (live slot 1 must be skipped)", a.id, b.id)
	}
	if tab.lookup(1) != live || tab.lookup(a.id) != a || tab.lookup(b.id) != b {
		t.Fatal("lookup after wrap is wrong")
	}
}

func TestProcTableConcurrent(t *testing.T) {
	var tab procTable
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				p := &Proc{}
				tab.insert(p)
				if tab.lookup(p.id) != p {
					t.Error("lookup of a fresh insert failed")
					return
				}
				tab.remove(p)
			}
		}()
	}
	wg.Wait()
	if tab.count.Load() != 0 {
		t.Fatalf("count %d", tab.count.Load())
	}
}
