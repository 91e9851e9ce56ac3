package node

import (
	"testing"
	"unsafe"
)

// TestProcLayout keeps the cache-line layout that fan-in throughput
// depends on (see Proc and mailbox): a 96-byte Proc starts on a 64-byte
// line or half-way through one, so its first 32 bytes (written by
// senders) never share a line with its last 32 (read at every message);
// a 64-byte mailbox is one line.
func TestProcLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is made for 64-bit platforms")
	}
	var p Proc
	var b mailbox
	checks := []struct {
		what      string
		got, want uintptr
	}{
		{"Proc size", unsafe.Sizeof(p), 96},
		{"mailbox size", unsafe.Sizeof(b), 64},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
	senders := []struct {
		name string
		end  uintptr
	}{
		{"mu", unsafe.Offsetof(p.mu) + unsafe.Sizeof(p.mu)},
		{"park", unsafe.Offsetof(p.park) + unsafe.Sizeof(p.park)},
		{"waiting", unsafe.Offsetof(p.waiting) + 1},
		{"hibernated", unsafe.Offsetof(p.hibernated) + 1}, // cleared by wakers
	}
	for _, f := range senders {
		if f.end > 32 {
			t.Errorf("Proc.%s ends at byte %d: it must lie in the first 32", f.name, f.end)
		}
	}
	readers := []struct {
		name string
		off  uintptr
	}{
		{"state", unsafe.Offsetof(p.state)},
		{"box", unsafe.Offsetof(p.box)},
		{"ext", unsafe.Offsetof(p.ext)},
		{"id", unsafe.Offsetof(p.id)},
	}
	for _, f := range readers {
		if f.off < 64 {
			t.Errorf("Proc.%s starts at byte %d: it must lie in the last 32", f.name, f.off)
		}
	}
}
