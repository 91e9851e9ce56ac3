module github.com/gerl-dev/gerl

go 1.26

require (
	github.com/ergochat/readline v0.1.3
	github.com/fatih/color v1.19.0
	github.com/fsnotify/fsnotify v1.10.1
	github.com/petermattis/goid v0.0.0-20260820044319-269ab09b5261
	github.com/tinylib/msgp v1.6.5
	github.com/traefik/yaegi v0.16.1
	github.com/vmihailenco/msgpack/v5 v5.4.1
	go.uber.org/goleak v1.3.0
	github.com/creack/pty v1.1.24
)
