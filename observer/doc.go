// Package observer lets a browser watch a gerl cluster live, and the
// shell trace what processes send and receive: erl's observer and dbg in
// one, served by the node itself.
//
// Every node of a gerl shell runs an Agent (Start, from package shell). It
// costs nothing while nobody looks: it registers the functions through
// which other nodes ask for its data (gerl.observer.*, called by rpc), adds
// the shell's built-ins observer(), trace() and untrace(), and installs the
// node's tracer. Serve starts the web server on one node: its page shows
// every node of the cluster, each node's processes and supervision trees,
// and the trace as a sequence diagram. The data of another node is fetched
// from that node by rpc; trace events travel as messages to the collector
// process of the node that asked for them.
//
// The page (web/) is plain HTML, CSS and JavaScript embedded in the
// binary: nothing is fetched from elsewhere. It is served on loopback
// unless told otherwise; on any other address every request must carry
// the access token derived from the cookie (Token), which the printed URL
// holds. It is read-only, except that with Config.AllowKill its process
// view has a kill button.
//
// # Tracing
//
// trace(pid), trace(name) and trace(A("all")) set trace flags (node.Trace,
// node.TraceAll) on the node of the process, or on every connected node;
// each event of a traced process (a message sent, a message delivered, its
// exit) goes to the node's Tracer, this package's hub. The hub admits at
// most Config.TraceRate events a second (a token bucket) into a ring of
// bounded size; what does not fit is counted and reported as "N events
// dropped", so a traced process never waits for the tracing. A goroutine
// drains the ring and hands the events to the shells that asked (printed
// as dbg prints them, in time order), to open pages, and to the
// collectors of other nodes that subscribed.
//
// # Concurrency
//
// Every method of Agent is safe for concurrent use. Goroutines: the trace
// loop and the collector process, started by Start and ended by Close; the
// HTTP server and one goroutine per open page, started by Serve and ended
// by Close.
package observer
