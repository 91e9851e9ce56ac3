package pg

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/gerl-dev/gerl/node/term"
)

// The membership state of one scope on one node: which processes are in
// which group, kept as the local processes' joins plus, for every peer
// (the same scope's server on another node), the members that peer
// announced. Every group's member lists are kept sorted (by node, then
// creation, then id) and are never changed in place: a change builds new
// slices, so a reader holding one needs no lock. A process that joined a
// group twice is in its lists twice.

// groupView is one group's members: every member and the local ones.
type groupView struct {
	all   []term.Pid
	local []term.Pid
}

// members is the membership state. It is changed only by the scope server
// (or a test driving it); views is read by any goroutine through the
// scope's lock.
type members struct {
	views map[any]*groupView
	// local: for each local process in some group, its joins per group.
	local map[term.Pid]map[any]int
	// peers: for each peer, its members per group (sorted, repeats).
	peers map[term.Pid]map[any][]term.Pid
}

func newMembers() *members {
	return &members{views: map[any]*groupView{}, local: map[term.Pid]map[any]int{}, peers: map[term.Pid]map[any][]term.Pid{}}
}

// pidLess orders pids by node, then creation, then id.
func pidLess(a, b term.Pid) bool {
	if a.Node != b.Node {
		return a.Node < b.Node
	}
	if a.Creation != b.Creation {
		return a.Creation < b.Creation
	}
	return a.ID < b.ID
}

// sortPids sorts pids in place (pidLess) and returns them.
func sortPids(pids []term.Pid) []term.Pid {
	sort.Slice(pids, func(i, j int) bool { return pidLess(pids[i], pids[j]) })
	return pids
}

// withAdded returns a new sorted slice: s plus pids.
func withAdded(s []term.Pid, pids []term.Pid) []term.Pid {
	out := make([]term.Pid, 0, len(s)+len(pids))
	out = append(out, s...)
	out = append(out, pids...)
	return sortPids(out)
}

// withRemoved returns a new slice: s without one occurrence of each of
// pids (those present). It returns s itself when nothing was removed.
func withRemoved(s []term.Pid, pids []term.Pid) []term.Pid {
	if len(pids) == 0 || len(s) == 0 {
		return s
	}
	drop := make(map[term.Pid]int, len(pids))
	for _, p := range pids {
		drop[p]++
	}
	out := make([]term.Pid, 0, len(s))
	for _, p := range s {
		if drop[p] > 0 {
			drop[p]--
			continue
		}
		out = append(out, p)
	}
	if len(out) == len(s) {
		return s
	}
	return out
}

// view returns the group's view, creating it.
func (m *members) view(group any) *groupView {
	v := m.views[group]
	if v == nil {
		v = &groupView{}
		m.views[group] = v
	}
	return v
}

// drop forgets a group's view once it has no member.
func (m *members) drop(group any) {
	if v := m.views[group]; v != nil && len(v.all) == 0 {
		delete(m.views, group)
	}
}

// joinLocal adds local pids to group (each once per occurrence) and
// returns the pids that were in no group before (to be monitored).
func (m *members) joinLocal(group any, pids []term.Pid) (fresh []term.Pid) {
	for _, p := range pids {
		g := m.local[p]
		if g == nil {
			g = map[any]int{}
			m.local[p] = g
			fresh = append(fresh, p)
		}
		g[group]++
	}
	v := m.view(group)
	next := &groupView{all: withAdded(v.all, pids), local: withAdded(v.local, pids)}
	m.views[group] = next
	return fresh
}

// notJoined returns the first of pids that has fewer joins of group than
// pids names it (so leaving them all would fail), or ok false.
func (m *members) notJoined(group any, pids []term.Pid) (term.Pid, bool) {
	want := map[term.Pid]int{}
	for _, p := range pids {
		want[p]++
		if m.local[p][group] < want[p] {
			return p, true
		}
	}
	return term.Pid{}, false
}

// leaveLocal removes one join of group for each of pids (which must all
// be joined: see notJoined) and returns the pids left in no group (whose
// monitors can go).
func (m *members) leaveLocal(group any, pids []term.Pid) (gone []term.Pid) {
	for _, p := range pids {
		g := m.local[p]
		if g[group]--; g[group] <= 0 {
			delete(g, group)
		}
		if len(g) == 0 {
			delete(m.local, p)
			gone = append(gone, p)
		}
	}
	v := m.view(group)
	m.views[group] = &groupView{all: withRemoved(v.all, pids), local: withRemoved(v.local, pids)}
	m.drop(group)
	return gone
}

// localDown removes every join of a local process that exited and returns
// its groups with the number of joins each, sorted by group.
func (m *members) localDown(pid term.Pid) []groupCount {
	g := m.local[pid]
	if g == nil {
		return nil
	}
	delete(m.local, pid)
	out := make([]groupCount, 0, len(g))
	for group, n := range g {
		out = append(out, groupCount{group, n})
		pids := make([]term.Pid, n)
		for i := range pids {
			pids[i] = pid
		}
		v := m.view(group)
		m.views[group] = &groupView{all: withRemoved(v.all, pids), local: withRemoved(v.local, pids)}
		m.drop(group)
	}
	sort.Slice(out, func(i, j int) bool { return groupLess(out[i].group, out[j].group) })
	return out
}

type groupCount struct {
	group any
	n     int
}

// change is what happened to one group: pids that joined and pids that
// left (with repeats), for subscribers.
type change struct {
	group        any
	joined, left []term.Pid
}

// setPeer replaces everything peer announced with groups (the peer's whole
// state, as a sync carries it) and returns the changes, sorted by group.
func (m *members) setPeer(peer term.Pid, groups map[any][]term.Pid) []change {
	old := m.peers[peer]
	if old == nil {
		old = map[any][]term.Pid{}
	}
	var out []change
	seen := map[any]bool{}
	for group, pids := range groups {
		seen[group] = true
		added, removed := diff(old[group], pids)
		if len(added)+len(removed) > 0 {
			out = append(out, change{group: group, joined: added, left: removed})
		}
	}
	for group, pids := range old {
		if !seen[group] && len(pids) > 0 {
			out = append(out, change{group: group, left: pids})
		}
	}
	next := make(map[any][]term.Pid, len(groups))
	for group, pids := range groups {
		if len(pids) > 0 {
			next[group] = sortPids(append([]term.Pid(nil), pids...))
		}
	}
	m.peers[peer] = next
	for _, c := range out {
		v := m.view(c.group)
		m.views[c.group] = &groupView{all: withAdded(withRemoved(v.all, c.left), c.joined), local: v.local}
		m.drop(c.group)
	}
	sort.Slice(out, func(i, j int) bool { return groupLess(out[i].group, out[j].group) })
	return out
}

// diff returns the pids in b and not in a, and those in a and not in b,
// counting repeats.
func diff(a, b []term.Pid) (added, removed []term.Pid) {
	count := map[term.Pid]int{}
	for _, p := range a {
		count[p]++
	}
	for _, p := range b {
		count[p]--
	}
	for p, n := range count {
		for ; n < 0; n++ {
			added = append(added, p)
		}
		for ; n > 0; n-- {
			removed = append(removed, p)
		}
	}
	return sortPids(added), sortPids(removed)
}

// peerJoin adds pids to what peer announced for group.
func (m *members) peerJoin(peer term.Pid, group any, pids []term.Pid) {
	g := m.peers[peer]
	g[group] = withAdded(g[group], pids)
	v := m.view(group)
	m.views[group] = &groupView{all: withAdded(v.all, pids), local: v.local}
}

// peerLeave removes pids from what peer announced for group, and returns
// those that were there (a leave for a pid the peer never announced is
// ignored).
func (m *members) peerLeave(peer term.Pid, group any, pids []term.Pid) []term.Pid {
	g := m.peers[peer]
	before := g[group]
	after := withRemoved(before, pids)
	removed, _ := diff(after, before)
	if len(after) == 0 {
		delete(g, group)
	} else {
		g[group] = after
	}
	if len(removed) > 0 {
		v := m.view(group)
		m.views[group] = &groupView{all: withRemoved(v.all, removed), local: v.local}
		m.drop(group)
	}
	return removed
}

// peerDown forgets a peer and everything it announced.
func (m *members) peerDown(peer term.Pid) []change {
	if _, ok := m.peers[peer]; !ok {
		return nil
	}
	out := m.setPeer(peer, nil)
	delete(m.peers, peer)
	return out
}

// localGroups returns the local processes' memberships per group, as a
// sync carries them.
func (m *members) localGroups() map[any][]term.Pid {
	out := map[any][]term.Pid{}
	for group, v := range m.views {
		if len(v.local) > 0 {
			out[group] = v.local
		}
	}
	return out
}

// groupLess orders groups for stable output: by type name, then by value
// (numbers as numbers, pids by pidLess, the rest as printed).
func groupLess(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb {
		return ta.String() < tb.String()
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	switch {
	case va.CanInt():
		return va.Int() < vb.Int()
	case va.CanUint():
		return va.Uint() < vb.Uint()
	case va.CanFloat():
		return va.Float() < vb.Float()
	}
	if pa, ok := a.(term.Pid); ok {
		return pidLess(pa, b.(term.Pid))
	}
	return fmt.Sprint(a) < fmt.Sprint(b)
}

// sortGroups sorts groups in place (groupLess) and returns them.
func sortGroups(gs []any) []any {
	sort.Slice(gs, func(i, j int) bool { return groupLess(gs[i], gs[j]) })
	return gs
}
