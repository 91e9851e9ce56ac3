module github.com/gerl-dev/gerl

go 1.26

require go.uber.org/goleak v1.3.0
