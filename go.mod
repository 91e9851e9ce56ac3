module github.com/gerl-dev/gerl

go 1.26

require go.uber.org/goleak v1.3.0

require (
	github.com/petermattis/goid v0.0.0-20260820044319-269ab09b5261 // indirect
	github.com/traefik/yaegi v0.16.1 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
)
