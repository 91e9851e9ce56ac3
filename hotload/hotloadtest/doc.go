// Package hotloadtest helps test hot code loading end to end: through the
// gerl binary, with real files edited the way editors edit them.
//
// A recipe for the shell's end-to-end test (docs/hotload.md has the
// semantics):
//
//  1. dir := t.TempDir(); write CounterModule(1) to dir/counter.go.
//  2. Start `gerl -pa DIR -watch` (or without -watch and type l("counter"))
//     with its stdin and stdout connected to the test.
//  3. Type c("counter"), then pid := spawn("counter.Loop", 0), then
//     call(pid, "inc"): the shell prints {ok,counter}, nothing, then 1.
//  4. SaveLikeEditor(dir/counter.go, CounterModule(10)). With -watch, the
//     node logs the reload (level INFO, "reloaded after a change",
//     module=counter version=2); wait for that line on the node's log
//     output, or poll m("counter") until it says "Version: 2". Without
//     -watch, type l("counter"): it prints {module,counter}.
//  5. Type call(pid, "inc"): it prints 11. The same pid served both
//     versions.
//  6. SaveLikeEditor with a broken body (BrokenCounterModule()): the log
//     (or l) shows counter.go:LINE:COL and call(pid, "inc") still prints 21.
//
// Never sleep to wait for the reload: wait for its log line or poll with a
// deadline.
//
// It is a fixture: imported by tests, and by the hotload benchmark (package
// bench), which loads the same module; never by the gerl binary
// (cmd/gerl's TestProductImportGraph checks).
package hotloadtest
