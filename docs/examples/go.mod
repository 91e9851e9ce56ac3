// The examples are gerl modules: Go source that gerl's interpreter loads
// (c("docs/examples/cache")), importing "gerl", which exists only inside
// gerl. This file keeps them out of the gerl module, so that go build,
// go vet and go test ./... do not try to compile them as Go packages.
module github.com/gerl-dev/gerl/docs/examples

go 1.26
