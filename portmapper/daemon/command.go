package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
)

const portmapperUsage = `usage: gerl portmapper [-d] [-address LIST] [-port N] [-daemon] [-relaxed_command_check]
       gerl portmapper [-d] [-port N] [-names | -kill | -stop NAME]

Runs the host's port mapper, through which nodes find each other (Erlang's
epmd protocol: Erlang nodes and tools work with it, and gerl with epmd).
It listens on the loopback addresses, plus those given with -address.
The port is 4369 unless -port or GERL_PORTMAPPER_PORT says otherwise.

`

// Main runs the command "gerl portmapper" with args (those after the
// verb): the daemon in the foreground until SIGINT, SIGTERM or a granted
// KILL, detached with -daemon, or one of the client commands -names, -kill
// and -stop. It writes to stdout and stderr and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gerl portmapper", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, portmapperUsage)
		fs.PrintDefaults()
	}
	port := fs.Int("port", 0, "`port` to listen on or to ask (default $"+portmapper.EnvPort+", else 4369)")
	address := fs.String("address", "", "comma-separated IP `addresses` to listen on besides loopback")
	background := fs.Bool("daemon", false, "run detached in the background, logging to "+filepath.Join(portmapper.StateDir(), "portmapper-PORT.log"))
	relaxed := fs.Bool("relaxed_command_check", false, "allow -kill while nodes are registered, and -stop")
	packetTimeout := fs.Int("packet_timeout", int(DefaultIdleTimeout/time.Second), "`seconds` a connection may stay idle before its request")
	var debug bool
	fs.BoolVar(&debug, "d", false, "debug logging")
	fs.BoolVar(&debug, "debug", false, "debug logging")
	names := fs.Bool("names", false, "list the names registered with the running port mapper")
	kill := fs.Bool("kill", false, "stop the running port mapper (refused while nodes are registered)")
	stop := fs.String("stop", "", "unregister node `NAME` (the port mapper must run with -relaxed_command_check)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "gerl portmapper: "+format+"\n", a...)
		return 1
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gerl portmapper: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if !explicit["port"] {
		p, err := portmapper.PortFromEnv()
		if err != nil {
			fmt.Fprintf(stderr, "gerl portmapper: %v\n", err)
			return 2
		}
		*port = p
	}
	if *port < 1 || *port > 0xffff {
		fmt.Fprintf(stderr, "gerl portmapper: -port %d: want a TCP port number from 1 to 65535\n", *port)
		return 2
	}
	actions := 0
	for _, a := range []string{"names", "kill", "stop", "daemon"} {
		if explicit[a] {
			actions++
		}
	}
	if actions > 1 {
		fmt.Fprintln(stderr, "gerl portmapper: use only one of -names, -kill, -stop and -daemon")
		return 2
	}
	if *packetTimeout < 1 {
		fmt.Fprintln(stderr, "gerl portmapper: -packet_timeout must be at least 1 second")
		return 2
	}

	addr := portmapper.LoopbackAddr(*port)
	ctx, cancel := context.WithTimeout(context.Background(), portmapper.DefaultTimeout)
	defer cancel()
	// failClient says why a client command got no usable answer: nothing
	// listens on the port, something that is not a port mapper does, or
	// nothing answered in time.
	failClient := func(err error) int {
		switch {
		case errors.Is(err, portmapper.ErrNoDaemon):
			return fail("cannot connect to the port mapper on port %d", *port)
		case portmapper.IsTimeout(err):
			return fail("nothing answered on port %d within %v: what listens there is not a port mapper, or is stuck", *port, portmapper.DefaultTimeout)
		case errors.Is(err, portmapper.ErrMalformed):
			return fail("port %d is held by something that is not a port mapper (%v)", *port, err)
		}
		return fail("%v", err)
	}
	// refused reports a KILL or STOP the port refused: the daemon closes
	// the connection without a word, which is also what many a program
	// that is not a port mapper does. Every port mapper answers NAMES, so
	// what does not is told as such.
	refused := func(why string) int {
		if _, _, err := portmapper.Names(ctx, addr); err != nil {
			return failClient(err)
		}
		return fail("%s", why)
	}
	switch {
	case *names:
		daemonPort, entries, err := portmapper.Names(ctx, addr)
		if err != nil {
			return failClient(err)
		}
		fmt.Fprintf(stdout, "gerl portmapper: up and running on port %d with data:\n", daemonPort)
		for _, e := range entries {
			fmt.Fprintf(stdout, "name %s at port %d\n", e.Name, e.Port)
		}
		return 0
	case *kill:
		ok, err := portmapper.Kill(ctx, addr)
		switch {
		case errors.Is(err, portmapper.ErrRefused):
			return refused(fmt.Sprintf("the port mapper on port %d refused to be killed", *port))
		case err != nil:
			return failClient(err)
		case !ok:
			return fail("killing not allowed - living nodes in database (start the port mapper with -relaxed_command_check to allow it)")
		}
		fmt.Fprintln(stdout, "Killed")
		return 0
	case explicit["stop"]:
		ok, err := portmapper.Stop(ctx, addr, *stop)
		switch {
		case errors.Is(err, portmapper.ErrRefused):
			return refused(fmt.Sprintf("the port mapper on port %d refused -stop (it allows it only when started with -relaxed_command_check)", *port))
		case err != nil:
			return failClient(err)
		case !ok:
			fmt.Fprintln(stdout, "NOEXIST")
			return 0
		}
		fmt.Fprintln(stdout, "STOPPED")
		return 0
	}

	addresses := strings.FieldsFunc(*address, func(r rune) bool { return r == ',' || r == ' ' })
	if *background {
		return detachPortmapper(*port, addresses, *relaxed, debug, *packetTimeout, stderr)
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return runPortmapper(Config{
		Port:        *port,
		Addresses:   addresses,
		Relaxed:     *relaxed,
		IdleTimeout: time.Duration(*packetTimeout) * time.Second,
		Logger:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}, stderr)
}

// detachPortmapper starts the daemon in the background (the same
// executable, without -daemon, in a new session) and returns once it
// listens. Another daemon already answering on the port is success: the
// new one gives way quietly.
func detachPortmapper(port int, addresses []string, relaxed, debug bool, packetTimeout int, stderr io.Writer) int {
	args := []string{"portmapper", "-port", strconv.Itoa(port), "-packet_timeout", strconv.Itoa(packetTimeout)}
	if len(addresses) > 0 {
		args = append(args, "-address", strings.Join(addresses, ","))
	}
	if relaxed {
		args = append(args, "-relaxed_command_check")
	}
	if debug {
		args = append(args, "-d")
	}
	pid, logPath, err := Detach(DetachConfig{Port: port, Args: args})
	switch {
	case errors.Is(err, ErrAlreadyRunning):
		// Nodes start the daemon this way whenever they find none, so a
		// running one is no news, unless it was asked for settings the
		// running daemon may not have.
		if len(addresses) > 0 || relaxed {
			fmt.Fprintf(stderr, "gerl portmapper: a port mapper already runs on port %d and keeps its own settings; "+
				"to change them, stop it (gerl portmapper -kill) and start it again\n", port)
		} else if debug {
			fmt.Fprintf(stderr, "gerl portmapper: a port mapper already runs on port %d\n", port)
		}
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "gerl portmapper: %v\n", err)
		return 1
	}
	if debug {
		fmt.Fprintf(stderr, "gerl portmapper: running on port %d as process %d, logging to %s\n", port, pid, logPath)
	}
	return 0
}

// runPortmapper runs the daemon in this process until SIGINT, SIGTERM or
// a granted KILL request. When started by -daemon it reports readiness to
// its parent, writes a pid file, and gives way quietly (exit 0) if another
// daemon holds the port.
func runPortmapper(cfg Config, stderr io.Writer) int {
	log := cfg.Logger
	readiness := DetachedReadiness()
	srv := NewServer(cfg)
	err := srv.Listen()
	// The parent's Detach returns as soon as it reads the report, and may
	// then look at the pid file and the log: whatever they must say is done
	// before Report.
	if err == nil && readiness != nil {
		signal.Ignore(syscall.SIGHUP)
		remove, err := WritePIDFile(cfg.Port)
		if err != nil {
			log.Warn("cannot write the pid file", "err", err)
		}
		defer remove()
	}
	if errors.Is(err, ErrAddrInUse) && readiness != nil {
		log.Info("another port mapper holds the port; giving way", "port", cfg.Port)
		readiness.Report(err)
		return 0
	}
	readiness.Report(err)
	if err != nil {
		if errors.Is(err, ErrAddrInUse) {
			fmt.Fprintf(stderr, "gerl portmapper: port %d is already in use (is a port mapper running? try gerl portmapper -names)\n", cfg.Port)
			return 1
		}
		fmt.Fprintf(stderr, "gerl portmapper: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	select {
	case sig := <-sigs:
		log.Info("signal received; stopping", "signal", sig.String())
	case <-srv.Done():
	}
	srv.Close()
	err = <-served
	log.Info("port mapper stopped", "reason", err.Error())
	return 0
}
