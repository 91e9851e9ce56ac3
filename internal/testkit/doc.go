// Package testkit holds the helpers gerl's tests in several packages
// share: a log sink safe for concurrent writers, polling with a deadline,
// and free loopback ports. It is imported by _test.go files only.
package testkit
