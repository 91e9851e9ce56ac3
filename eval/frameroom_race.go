//go:build race

package eval

// frameRoom is how many slots a global frame holds at least. Built with
// the race detector (the tests under -race, and the gerl binary they
// drive), it is big enough that no test's session fills it, so the frame
// never moves under a test's processes (the move is a race inside yaegi's
// design, named in testkit.SkipYaegiRace and shown by the test that fills
// the room on purpose); each top-level closure then keeps 96 KB. See
// globalFrame.
const frameRoom = 4096
