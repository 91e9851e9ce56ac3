package observer

import (
	"bytes"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/supervisor"
	"github.com/gerl-dev/gerl/node/term"
)

// The data of one node, as the page's API returns it (JSON). Each is
// computed on the node it describes: here for this node, by rpc on the
// others (rpc.go).

// Summary is one node's figures for the cluster view.
type Summary struct {
	Node       string `json:"node"`
	Processes  int    `json:"processes"`
	Goroutines int    `json:"goroutines"`
	Heap       uint64 `json:"heap"`
	Uptime     int64  `json:"uptimeMs"`
	Tracing    string `json:"tracing"` // "", "all", or how many processes
}

// ProcQuery asks for one page of a node's process table.
type ProcQuery struct {
	Sort   string `json:"sort"` // a ProcRow field: pid, name, func, status, mailbox, memory, links, monitors
	Desc   bool   `json:"desc"`
	Filter string `json:"filter"` // a case-insensitive substring of pid, name, func or status
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"` // at most maxPage
}

// maxPage bounds the rows of one page.
const maxPage = 500

// ProcRow is one line of the process table.
type ProcRow struct {
	Pid        string `json:"pid"`
	Name       string `json:"name,omitempty"`
	Func       string `json:"func"`
	Status     string `json:"status"`
	Mailbox    int    `json:"mailbox"`
	Memory     int    `json:"memory"`
	Links      int    `json:"links"`
	Monitors   int    `json:"monitors"`   // monitors held on the process
	Monitoring int    `json:"monitoring"` // monitors it holds
}

// ProcPage is the answer to a ProcQuery: Total processes on the node,
// Matched of them pass the filter, Rows from Offset on.
type ProcPage struct {
	Node    string    `json:"node"`
	Total   int       `json:"total"`
	Matched int       `json:"matched"`
	Offset  int       `json:"offset"`
	Rows    []ProcRow `json:"rows"`
}

// processes answers a ProcQuery from a snapshot of the node's processes.
func (a *Agent) processes(q ProcQuery) ProcPage {
	infos := a.node.Processes()
	page := ProcPage{Node: string(a.node.Name()), Total: len(infos), Offset: q.Offset}
	filter := strings.ToLower(q.Filter)
	rows := make([]ProcRow, 0, len(infos))
	for _, in := range infos {
		r := ProcRow{Pid: in.Pid.String(), Name: string(in.Name), Func: in.Func, Status: in.Status,
			Mailbox: in.MailboxLen, Memory: in.Memory, Links: len(in.Links), Monitors: in.Monitors, Monitoring: in.Watching}
		if filter != "" && !strings.Contains(strings.ToLower(r.Pid+" "+r.Name+" "+r.Func+" "+r.Status), filter) {
			continue
		}
		rows = append(rows, r)
	}
	page.Matched = len(rows)
	sortRows(rows, q.Sort, q.Desc)
	limit := q.Limit
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	if q.Offset < 0 || q.Offset >= len(rows) {
		page.Rows = []ProcRow{}
		return page
	}
	page.Rows = rows[q.Offset:min(len(rows), q.Offset+limit)]
	return page
}

// sortRows sorts by the named column; ties, and the default, by pid (the
// snapshot's order).
func sortRows(rows []ProcRow, by string, desc bool) {
	var less func(a, b *ProcRow) bool
	switch by {
	case "name":
		less = func(a, b *ProcRow) bool { return a.Name < b.Name }
	case "func":
		less = func(a, b *ProcRow) bool { return a.Func < b.Func }
	case "status":
		less = func(a, b *ProcRow) bool { return a.Status < b.Status }
	case "mailbox":
		less = func(a, b *ProcRow) bool { return a.Mailbox < b.Mailbox }
	case "memory":
		less = func(a, b *ProcRow) bool { return a.Memory < b.Memory }
	case "links":
		less = func(a, b *ProcRow) bool { return a.Links < b.Links }
	case "monitors":
		less = func(a, b *ProcRow) bool { return a.Monitors+a.Monitoring < b.Monitors+b.Monitoring }
	default:
		if desc {
			for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
				rows[i], rows[j] = rows[j], rows[i]
			}
		}
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(&rows[j], &rows[i])
		}
		return less(&rows[i], &rows[j])
	})
}

// ProcView is one process in detail.
type ProcView struct {
	ProcRow
	TrapExit       bool     `json:"trapExit"`
	Traced         bool     `json:"traced"`
	LinkPids       []string `json:"links"`
	MonitoredBy    []string `json:"monitoredBy"`
	MonitoringList []string `json:"monitoring"`
	MailboxHead    []string `json:"mailboxHead"`
	MailboxPartial bool     `json:"mailboxPartial"`
	GroupLeader    string   `json:"groupLeader,omitempty"`
	Stack          string   `json:"stack"`
}

// mailboxHead is how many messages the detail view shows.
const mailboxHead = 20

// maxStackDump is the goroutine count above which the detail view does
// not take a stack dump: the dump stops the world and holds every
// goroutine's stack.
const maxStackDump = 20000

// process returns the detail of the local process pid.
func (a *Agent) process(pid term.Pid) (ProcView, bool) {
	d, ok := a.node.Detail(pid, mailboxHead)
	if !ok {
		return ProcView{}, false
	}
	v := ProcView{
		ProcRow: ProcRow{Pid: d.Pid.String(), Name: string(d.Name), Func: d.Func, Status: d.Status, Mailbox: d.MailboxLen,
			Memory: d.Memory, Links: len(d.Links), Monitors: d.Monitors, Monitoring: d.Watching},
		TrapExit: d.TrapExit, MailboxHead: d.MailboxHead, MailboxPartial: d.MailboxPartial,
		LinkPids: pidStrings(d.Links), MonitoredBy: pidStrings(d.MonitoredBy), MonitoringList: []string{},
	}
	for _, m := range d.Monitoring {
		v.MonitoringList = append(v.MonitoringList, term.Format(m))
	}
	if v.MailboxHead == nil {
		v.MailboxHead = []string{}
	}
	all, traced := a.node.Tracing()
	v.Traced = all
	for _, t := range traced {
		v.Traced = v.Traced || t == pid
	}
	if gl, ok := a.env.GroupLeader(pid); ok {
		v.GroupLeader = gl.String()
	}
	v.Stack = a.stack(pid, d.Attached, d.Status)
	return v, true
}

func pidStrings(pids []term.Pid) []string {
	out := make([]string, len(pids))
	for i, p := range pids {
		out[i] = p.String()
	}
	return out
}

// stack returns the Go stack of the goroutine running pid, from a dump of
// every goroutine, or says why there is none.
func (a *Agent) stack(pid term.Pid, attached bool, status string) string {
	id, ok := a.env.Goroutine(pid)
	switch {
	case !ok && status == "hibernated":
		return "(hibernated: no goroutine runs it until a message arrives)"
	case !ok && attached:
		return "(a shell process between two inputs: no goroutine runs it)"
	case !ok:
		return "(no goroutine known for this process)"
	case runtime.NumGoroutine() > maxStackDump:
		return fmt.Sprintf("(not taken: a stack dump with %d goroutines would stop the node too long)", runtime.NumGoroutine())
	}
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		if len(buf) >= 64<<20 {
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	head := []byte("goroutine " + strconv.FormatInt(id, 10) + " [")
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.HasPrefix(g, head) {
			return string(g)
		}
	}
	return "(the process's goroutine has ended)"
}

// Tree is a supervision tree: a supervisor and its children, nested
// supervisors with their own children.
type Tree struct {
	Pid       string      `json:"pid"`
	Name      string      `json:"name,omitempty"`
	Strategy  string      `json:"strategy"`
	Intensity int         `json:"intensity"`
	PeriodMs  int64       `json:"periodMs"`
	Children  []TreeChild `json:"children"`
	Error     string      `json:"error,omitempty"` // the supervisor did not answer
}

// TreeChild is one child of a Tree.
type TreeChild struct {
	ID         string `json:"id"`
	Pid        string `json:"pid,omitempty"` // empty: not running
	Name       string `json:"name,omitempty"`
	Restart    string `json:"restart"`
	Supervisor bool   `json:"supervisor"`
	Restarting bool   `json:"restarting"`
	Restarts   int    `json:"restarts"`
	Sub        *Tree  `json:"sub,omitempty"` // a nested supervisor's own tree
}

// describeTimeout bounds the wait for one supervisor's answer: one busy
// restarting a child (waiting for its shutdown) answers after that.
const describeTimeout = 2 * time.Second

// trees describes every supervisor of the node, as p, and returns the
// roots: the supervisors that are no other supervisor's child.
func (a *Agent) trees(p *node.Proc) []Tree {
	var sups []node.ProcInfo
	for _, in := range a.node.Processes() {
		if in.Func == "supervisor" {
			sups = append(sups, in)
		}
	}
	byPid := map[term.Pid]*Tree{}
	child := map[term.Pid]bool{}
	for _, in := range sups {
		t := &Tree{Pid: in.Pid.String(), Name: string(in.Name), Children: []TreeChild{}}
		byPid[in.Pid] = t
		d, err := supervisor.Describe(p, in.Pid, describeTimeout)
		if err != nil {
			if !a.node.Alive(in.Pid) {
				delete(byPid, in.Pid) // it ended meanwhile
				continue
			}
			t.Error = err.Error()
			continue
		}
		t.Strategy, t.Intensity, t.PeriodMs = d.Strategy.String(), d.Intensity, d.Period.Milliseconds()
		for _, c := range d.Children {
			tc := TreeChild{ID: string(c.ID), Name: string(c.Name), Restart: c.Restart.String(),
				Supervisor: c.Supervisor, Restarting: c.Restarting, Restarts: c.Restarts}
			if !c.Pid.IsZero() {
				tc.Pid = c.Pid.String()
				child[c.Pid] = true
			}
			t.Children = append(t.Children, tc)
		}
	}
	// Hang each nested supervisor's tree under its parent's child.
	for _, t := range byPid {
		for i := range t.Children {
			c := &t.Children[i]
			if !c.Supervisor || c.Pid == "" {
				continue
			}
			if pid, err := term.ParsePid(c.Pid); err == nil {
				c.Sub = byPid[pid]
			}
		}
	}
	roots := []Tree{}
	for _, in := range sups {
		if t := byPid[in.Pid]; t != nil && !child[in.Pid] {
			roots = append(roots, *t)
		}
	}
	return roots
}

// summary returns this node's figures.
func (a *Agent) summary() Summary {
	s := Summary{Node: string(a.node.Name()), Processes: a.node.ProcessCount(), Goroutines: runtime.NumGoroutine(),
		Uptime: time.Since(a.started).Milliseconds()}
	var ms runtime.MemStats
	if time.Since(a.lastMem.Load().(memSample).at) > 5*time.Second {
		runtime.ReadMemStats(&ms) // stops the world briefly: at most every 5 s
		a.lastMem.Store(memSample{at: time.Now(), heap: ms.HeapAlloc})
	}
	s.Heap = a.lastMem.Load().(memSample).heap
	all, pids := a.node.Tracing()
	switch {
	case all:
		s.Tracing = "all"
	case len(pids) > 0:
		s.Tracing = strconv.Itoa(len(pids))
	}
	return s
}

type memSample struct {
	at   time.Time
	heap uint64
}
