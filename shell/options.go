package shell

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Options are the command line of gerl: erl's flags, single dash.
type Options struct {
	SName, Name string // -sname / -name: start distribution
	Cookie      string // -setcookie
	Hidden      bool   // -hidden
	NoShell     bool   // -noshell: no REPL; run until stopped
	Detached    bool   // -detached: run in the background (implies -noshell)
	Eval        []string
	Remsh       string   // -remsh node: a shell evaluating on node
	CodePath    []string // -pa dir
	Watch       bool     // -watch: reload modules when their files change
	Color       string   // -color auto|always|never
	TickTime    time.Duration
	DistPortMin int // -dist_port N or MIN-MAX
	DistPortMax int
	DistAddress string // -dist_address IP: the interface to listen on
	TLSCert     string
	TLSKey      string
	TLSCA       string
	Version     bool
	// Observer is the address to serve the observer's page on (-observer
	// host:port); ObserverAllowKill puts a kill button on it.
	Observer          string
	ObserverAllowKill bool
	// ErlangMaxFrame is the largest message taken from or sent to an
	// Erlang node (-erl_max_frame, in bytes); 0: the default, 64 MiB.
	ErlangMaxFrame int
	// MaxStack is the stack a process may use before it ends with reason
	// {stack_overflow, F} (-max_stack, in bytes); 0: eval.DefaultMaxStack.
	MaxStack int64
	// MaxMemoryMB is the node's memory limit in MiB (-max_memory): past
	// 80% of it the node reports the largest mailboxes, past it it kills
	// the process with the largest one. -1: three quarters of the
	// machine's memory; 0: no limit.
	MaxMemoryMB int64
}

// Distributed reports whether the options start distribution.
func (o Options) Distributed() bool { return o.SName != "" || o.Name != "" || o.Remsh != "" }

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// ErrUsage is returned by ParseArgs for a command line to refuse; the
// usage has been printed. ErrHelp (flag.ErrHelp) means -h was given.
var ErrUsage = errors.New("usage")

// ParseArgs parses gerl's command line, printing errors and the usage to
// stderr. It returns flag.ErrHelp for -h and ErrUsage for a bad command
// line.
func ParseArgs(args []string, stderr io.Writer) (Options, error) {
	var o Options
	var eval, pa listFlag
	var tick int
	var distPort string
	fs := flag.NewFlagSet("gerl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.SName, "sname", "", "start a distributed node named `name`@<short host name>")
	fs.StringVar(&o.Name, "name", "", "start a distributed node with a long `name` (foo@host.example.com, or foo)")
	fs.StringVar(&o.Cookie, "setcookie", "", "the `cookie` nodes authenticate with (default: ~/.gerl.cookie, or erl's ~/.erlang.cookie when there is no ~/.gerl.cookie)")
	fs.BoolVar(&o.Hidden, "hidden", false, "a hidden node: not listed by nodes(), no transitive connections")
	fs.BoolVar(&o.NoShell, "noshell", false, "no shell: run the node until it is stopped (signal or halt())")
	fs.BoolVar(&o.Detached, "detached", false, "run the node in the background (implies -noshell)")
	fs.Var(&eval, "eval", "evaluate `code` at start (repeatable)")
	fs.StringVar(&o.Remsh, "remsh", "", "open a shell whose inputs run on `node`")
	fs.Var(&pa, "pa", "add `dir` to the code path for modules (repeatable)")
	fs.BoolVar(&o.Watch, "watch", false, "reload a module when its source file changes")
	fs.StringVar(&o.Color, "color", "auto", "colored output: `auto`, always or never")
	fs.IntVar(&tick, "net_ticktime", 60, "declare a silent peer down after this many `seconds`")
	fs.StringVar(&distPort, "dist_port", "", "listen for distribution on `port` or MIN-MAX (default: any free port)")
	fs.StringVar(&o.DistAddress, "dist_address", "", "listen for distribution on this `ip` (default: all interfaces)")
	fs.StringVar(&o.TLSCert, "tls_cert", "", "run distribution over mutual TLS with this `certificate` file")
	fs.StringVar(&o.TLSKey, "tls_key", "", "the TLS private `key` file")
	fs.StringVar(&o.TLSCA, "tls_ca", "", "the `CA` file that signs peers' certificates")
	fs.BoolVar(&o.Version, "version", false, "print the version and exit")
	fs.StringVar(&o.Observer, "observer", "", "serve the observer's web page on `host:port` (loopback, unless the URL's token is used)")
	fs.BoolVar(&o.ObserverAllowKill, "observer_allow_kill", false, "let the observer's page kill processes (read-only otherwise)")
	fs.IntVar(&o.ErlangMaxFrame, "erl_max_frame", 0, "the largest message, in `bytes`, taken from or sent to an Erlang node (default 64 MiB)")
	fs.Int64Var(&o.MaxStack, "max_stack", 0, "the stack, in `bytes`, a process may use before it ends with {stack_overflow, F} (default 256 MiB)")
	fs.Int64Var(&o.MaxMemoryMB, "max_memory", -1, "the node's memory limit in `MiB`: past it the process with the largest mailbox is killed (default 3/4 of the machine's memory; 0: none)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gerl [flags]           start a node with a shell\n")
		fmt.Fprintf(stderr, "       gerl portmapper [...]  run or ask the host's port mapper (gerl portmapper -h)\n")
		fmt.Fprintf(stderr, "       gerl bench [NAME...]   run the benchmark workloads\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, flag.ErrHelp
		}
		return o, ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gerl: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return o, ErrUsage
	}
	o.Eval, o.CodePath = eval, pa
	o.TickTime = time.Duration(tick) * time.Second
	if o.Detached {
		o.NoShell = true // before check: -remsh cannot be combined with it
	}
	err := o.check(distPort)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "setcookie" && o.Cookie == "" && err == nil {
			err = errors.New("-setcookie needs a cookie; an empty one would leave every node open to anyone")
		}
	})
	if err != nil {
		fmt.Fprintf(stderr, "gerl: %v\n", err)
		fs.Usage()
		return o, ErrUsage
	}
	return o, nil
}

func (o *Options) check(distPort string) error {
	if o.SName != "" && o.Name != "" {
		return errors.New("give -sname or -name, not both")
	}
	switch o.Color {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("-color must be auto, always or never, not %q", o.Color)
	}
	if o.MaxMemoryMB < -1 {
		return errors.New("-max_memory must be a number of MiB, or 0 for no limit")
	}
	if o.ErlangMaxFrame < 0 {
		return errors.New("-erl_max_frame must be a positive number of bytes")
	}
	if o.TickTime <= 0 {
		return errors.New("-net_ticktime must be a positive number of seconds")
	}
	if o.Remsh != "" && o.NoShell {
		return errors.New("-remsh opens a shell; it cannot be combined with -noshell or -detached")
	}
	if set := (o.TLSCert != "") || (o.TLSKey != "") || (o.TLSCA != ""); set && (o.TLSCert == "" || o.TLSKey == "" || o.TLSCA == "") {
		return errors.New("TLS needs -tls_cert, -tls_key and -tls_ca together")
	}
	if o.Observer != "" {
		if _, _, err := net.SplitHostPort(o.Observer); err != nil {
			return fmt.Errorf("-observer must be host:port (127.0.0.1:8080), not %q", o.Observer)
		}
	}
	if distPort != "" {
		lo, hi, found := strings.Cut(distPort, "-")
		if !found {
			hi = lo
		}
		min, err1 := strconv.Atoi(lo)
		max, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || min < 1 || max > 65535 || min > max {
			return fmt.Errorf("-dist_port must be a port or MIN-MAX, not %q", distPort)
		}
		o.DistPortMin, o.DistPortMax = min, max
	}
	return nil
}
