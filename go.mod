module github.com/gerl-dev/gerl

go 1.26

require go.uber.org/goleak v1.3.0

require github.com/traefik/yaegi v0.16.1 // indirect
