package node

import (
	"sort"
	"unsafe"

	"github.com/gerl-dev/gerl/node/term"
)

// What an observer shows about one process beyond ProcInfo: who monitors
// it and what it monitors, and the first messages of its mailbox.

// ProcDetail is a snapshot of one process for a detailed view.
type ProcDetail struct {
	ProcInfo
	// MonitoredBy are the processes monitoring this one; Monitoring what
	// this one monitors (pids, or term.Name for monitors taken on a name).
	MonitoredBy []term.Pid
	Monitoring  []any
	// MailboxHead holds the oldest messages, formatted (each cut at
	// maxHeadText bytes). MailboxPartial is true when some older messages
	// could not be read: the process was running and held them in the
	// half of its mailbox only its own goroutine may read (see mailbox.go);
	// the ones shown are then the newest arrivals, oldest first.
	MailboxHead    []string
	MailboxPartial bool
}

// maxHeadText bounds one formatted message of MailboxHead.
const maxHeadText = 2000

// Detail returns a snapshot of the local process pid with at most head
// messages of its mailbox. It is safe for concurrent use, and never
// disturbs the process (it takes the process's lock, briefly).
func (n *Node) Detail(pid term.Pid, head int) (ProcDetail, bool) {
	p := n.lookup(pid)
	if p == nil {
		return ProcDetail{}, false
	}
	d := ProcDetail{ProcInfo: p.Info()}
	var msgs []any
	p.mu.Lock()
	if e := p.ext; e != nil {
		for _, w := range e.monitors {
			d.MonitoredBy = append(d.MonitoredBy, w)
		}
		if e.call.watched {
			d.Monitoring = append(d.Monitoring, e.call.callee)
		}
		for _, t := range e.watching {
			if t.name.Name != "" {
				d.Monitoring = append(d.Monitoring, t.name)
			} else {
				d.Monitoring = append(d.Monitoring, t.pid)
			}
		}
	}
	// The receiver uses out without the lock. While it is parked (waiting,
	// which only a waker clears, under the lock) it changes nothing there;
	// with nothing in out (outLen 0) there is nothing to read.
	if b := p.box.Load(); b != nil {
		if p.waiting {
			for _, m := range b.out[b.outHead:] {
				if len(msgs) == head {
					break
				}
				msgs = append(msgs, m)
			}
		} else if b.outLen.Load() > 0 {
			d.MailboxPartial = true
		}
		for _, m := range b.in {
			if len(msgs) == head {
				break
			}
			msgs = append(msgs, m)
		}
	}
	p.mu.Unlock()
	// Formatting reads the messages after the lock is released: they are
	// the receiver's copies, which nobody changes while they wait in the
	// mailbox (a process changes a message only once it took it).
	for _, m := range msgs {
		s := term.Format(m)
		if len(s) > maxHeadText {
			s = s[:maxHeadText] + "..."
		}
		d.MailboxHead = append(d.MailboxHead, s)
	}
	sort.Slice(d.MonitoredBy, func(i, j int) bool { return d.MonitoredBy[i].ID < d.MonitoredBy[j].ID })
	sort.Slice(d.Monitoring, func(i, j int) bool { return term.Format(d.Monitoring[i]) < term.Format(d.Monitoring[j]) })
	return d, true
}

// memoryLocked estimates the bytes p holds in the runtime's structures:
// the process, its links and monitors, and its mailbox's slots. Neither
// the goroutine's stack nor the messages' own contents are counted (Go
// does not tell one goroutine's share of the heap). Called with p.mu held.
func (p *Proc) memoryLocked() int {
	const slot = int(unsafe.Sizeof(any(nil)))
	b := int(unsafe.Sizeof(*p))
	if box := p.box.Load(); box != nil {
		b += int(unsafe.Sizeof(*box)) + cap(box.in)*slot + int(box.outLen.Load())*slot
	}
	if e := p.ext; e != nil {
		const entry = 48 // a map entry with its share of buckets, roughly
		b += int(unsafe.Sizeof(*e)) + entry*(len(e.links)+len(e.monitors)+len(e.watching))
	}
	return b
}
