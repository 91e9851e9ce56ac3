//go:build !race

package eval

// frameRoom is how many slots a global frame holds at least (24 bytes
// each): about twenty inputs' worth. See globalFrame.
const frameRoom = 64
