// Package tally is a small supervision tree: a service that adds up the
// numbers it is sent, in two processes, each under a supervisor.
//
//   - "tally_total" holds the running total. It is simple enough never to
//     crash, and it is where the state worth keeping lives.
//   - "tally_parser" turns text such as "1 2 3" into numbers and adds them
//     to the total. It is the risky part, and it does not defend itself:
//     on text that is not numbers it crashes, and its supervisor,
//     "tally_parsers", starts a fresh one. The total survives, since it
//     lives in another process.
//
// The top supervisor, "tally_sup", starts the total, then the parsers'
// supervisor, and restarts with rest_for_one: if the total exits, the
// parsers' subtree (started after it; the parser holds the total's pid) is
// restarted too. If the parser crashes too often, its supervisor gives up,
// and tally_sup restarts that subtree.
package tally

import (
	"strconv"
	"strings"
	"time"

	"gerl"
	"gerl/supervisor"
)

// timeout bounds how long a request waits for its answer.
const timeout = 2 * time.Second

// Start starts the tree: the supervisor "tally_sup", the total under it,
// and the parsers' supervisor "tally_parsers" with the parser under it.
func Start() *supervisor.Sup {
	// Qualified (tally.Parser): each restart starts the newest version.
	parsers := supervisor.Spec{
		Name:     "tally_parsers",
		Strategy: supervisor.OneForOne,
		// More than 3 restarts in a minute, and this supervisor gives up:
		// it stops its child and exits, reason shutdown; tally_sup then
		// restarts it, with a fresh parser.
		Intensity: 3,
		Period:    time.Minute,
		Children:  []supervisor.Child{{ID: "parser", Start: tally.Parser, Name: "tally_parser"}},
	}
	sup, err := supervisor.Start(supervisor.Spec{
		Name:      "tally_sup",
		Strategy:  supervisor.RestForOne,
		Intensity: 3,
		Period:    time.Minute,
		Children: []supervisor.Child{
			{ID: "total", Start: tally.Total, Name: "tally_total"},
			{ID: "parsers", Supervisor: &parsers},
		},
	})
	if err != nil {
		panic(err)
	}
	return sup
}

// Add adds the numbers in text (separated by spaces) to the total, and
// returns the new total. Text that is not numbers crashes the parser: Add
// then raises, and the total is unchanged.
func Add(text string) int {
	return call("tally_parser", text)
}

// Sum returns the total.
func Sum() int {
	return call("tally_total", gerl.A("get"))
}

// call makes a request and returns the int it is answered; it raises, as
// the call built-in does, if the callee exits first or does not answer.
func call(to any, req any) int {
	v, err := gerl.Call(to, req, timeout)
	if err != nil {
		panic(err)
	}
	return v.(int)
}

// Total is the process holding the total: it answers get with the total,
// and {add, N} with the new total.
func Total(p *gerl.Proc) {
	total := 0
	for {
		if req, ok := p.Receive().(gerl.Request); ok {
			total = tally.HandleTotal(req, total)
		}
	}
}

// HandleTotal answers one request to the total and returns the new total.
func HandleTotal(req gerl.Request, total int) int {
	if t, ok := req.Body.(gerl.Tuple); ok && len(t) == 2 && t[0] == gerl.A("add") {
		total += t[1].(int)
	}
	gerl.Reply(req, total)
	return total
}

// Parser is the process that parses: it answers each text with the new
// total. It finds the total's pid once, when it starts, and sends to that
// pid: so it depends on that incarnation of the total, and must restart
// when the total does (which tally_sup's rest_for_one does).
func Parser(p *gerl.Proc) {
	total, ok := gerl.Whereis("tally_total")
	if !ok {
		panic("tally_parser: tally_total is not running")
	}
	for {
		if req, ok := p.Receive().(gerl.Request); ok {
			tally.HandleText(req, total)
		}
	}
}

// HandleText parses one text and adds its numbers to the total. It panics
// on anything but numbers: let it crash.
func HandleText(req gerl.Request, total gerl.Pid) {
	sum := 0
	for _, word := range strings.Fields(req.Body.(string)) {
		n, err := strconv.Atoi(word)
		if err != nil {
			panic(err)
		}
		sum += n
	}
	gerl.Reply(req, call(total, gerl.T(gerl.A("add"), sum)))
}
