package term

import "unsafe"

// A Tuple or []any held in an interface is two objects: the slice header
// the interface points to, and the elements the header points to. A copy
// made for a message (Copy, at every send) allocates them as one object,
// header first, for up to maxInline elements: one allocation instead of
// two, and a receiver that looks at the message (a selective receive
// scanning a backlog) finds the header and the elements side by side
// instead of in two places of the heap.
//
// The interface is built by hand: Go's own conversion would copy the
// header into a new object. eface is the layout of Go's empty interface
// (a type word, then a pointer to the value), which the runtime and
// reflect share; TestNewSlice fails if it ever changes. The header is
// never written after the interface is made, as for any value an
// interface holds; the elements are the receiver's, as those of any
// message. Measured: BenchmarkFanIn 382-393 -> 334-336 ns per message,
// BenchmarkSelectiveNewest 1.09-1.12 -> 0.95-1.03 ms (alternating runs).

// maxInline is the largest slice copied into one allocation.
const maxInline = 8

type sliceBox[S ~[]any, A any] struct {
	hdr S
	arr A
}

type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// NewTuple returns a tuple of n nil elements to fill, and the same tuple
// as an interface value (what a message is). For 1 to 8 elements the two
// are one allocation; see above. Decoders of terms use it.
func NewTuple(n int) (Tuple, any) { return newSlice[Tuple](n) }

// NewList is NewTuple for a list ([]any).
func NewList(n int) ([]any, any) { return newSlice[[]any](n) }

// newSlice returns a new S of n zero elements, and the same slice as an
// interface value, made in one allocation when n is 1 to maxInline.
func newSlice[S ~[]any](n int) (S, any) {
	var hdr *S
	switch n {
	case 1:
		hdr = boxed[S, [1]any](n)
	case 2:
		hdr = boxed[S, [2]any](n)
	case 3:
		hdr = boxed[S, [3]any](n)
	case 4:
		hdr = boxed[S, [4]any](n)
	case 5:
		hdr = boxed[S, [5]any](n)
	case 6:
		hdr = boxed[S, [6]any](n)
	case 7:
		hdr = boxed[S, [7]any](n)
	case maxInline:
		hdr = boxed[S, [maxInline]any](n)
	default:
		s := make(S, n)
		return s, s
	}
	var v any = S(nil) // the type word; a nil slice is not allocated
	(*eface)(unsafe.Pointer(&v)).data = unsafe.Pointer(hdr)
	return *hdr, v
}

// boxed allocates a sliceBox whose header holds its n elements (A is
// [n]any) and returns the header.
func boxed[S ~[]any, A any](n int) *S {
	b := new(sliceBox[S, A])
	b.hdr = S(unsafe.Slice((*any)(unsafe.Pointer(&b.arr)), n))
	return &b.hdr
}
