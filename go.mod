module github.com/gerl-dev/gerl

go 1.26
