package term

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxRefWords is the most 32-bit words an Erlang reference has.
const MaxRefWords = 5

// refWords is what an Erlang ref has beyond a gerl ref: its number of
// words n when it is not two (0 means two: ID alone), and words 2 to 4.
type refWords struct {
	n    uint8
	more [MaxRefWords - 2]uint32
}

// RefFromWords returns the Ref of a reference made by an Erlang node:
// its node, creation and 32-bit words (1 to 5, in wire order, word 0
// first). Two words give a Ref of gerl's form, ID = words[0] |
// words[1]<<32, so that a gerl ref that visits an Erlang node comes back
// ==. The words are kept exactly, count included: Erlang pads a short
// ref with zero words when it compares refs, gerl does not.
func RefFromWords(node Atom, creation uint32, words []uint32) (Ref, error) {
	if len(words) < 1 || len(words) > MaxRefWords {
		return Ref{}, fmt.Errorf("a reference has 1 to %d words, not %d", MaxRefWords, len(words))
	}
	r := Ref{Node: node, Creation: creation, ID: uint64(words[0])}
	if len(words) >= 2 {
		r.ID |= uint64(words[1]) << 32
	}
	if len(words) != 2 {
		r.ext.n = uint8(len(words))
		if len(words) > 2 {
			copy(r.ext.more[:], words[2:])
		}
	}
	return r, nil
}

// NumWords returns the number of 32-bit words of r: two for gerl's refs,
// 1 to 5 for Erlang's.
func (r Ref) NumWords() int {
	if r.ext.n == 0 {
		return 2
	}
	return int(r.ext.n)
}

// Word returns word i of r (0 <= i < NumWords), in wire order.
func (r Ref) Word(i int) uint32 {
	switch {
	case i == 0:
		return uint32(r.ID)
	case i == 1:
		return uint32(r.ID >> 32)
	case i >= 2 && i < MaxRefWords:
		return r.ext.more[i-2]
	}
	return 0
}

// erlangString prints an Erlang ref of other than two words (see String).
func (r Ref) erlangString() string {
	var b strings.Builder
	b.WriteString("#Ref<")
	b.WriteString(string(r.Node))
	b.WriteByte('.')
	n := r.NumWords()
	if n == 1 {
		b.WriteByte(':') // one word: still marked as an Erlang ref's words
	}
	for i := n - 1; i >= 0; i-- {
		b.WriteString(strconv.FormatUint(uint64(r.Word(i)), 10))
		if i > 0 {
			b.WriteByte(':')
		}
	}
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(uint64(r.Creation), 10))
	b.WriteByte('>')
	return b.String()
}

// parseErlangRef parses what erlangString prints; ok is false when s is
// not in that form (its id has no colon).
func parseErlangRef(s string) (r Ref, ok bool, err error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "#Ref<") || !strings.HasSuffix(t, ">") {
		return Ref{}, false, nil
	}
	body := t[len("#Ref<") : len(t)-1]
	last := strings.LastIndexByte(body, '.')
	if last < 0 {
		return Ref{}, false, nil
	}
	mid := strings.LastIndexByte(body[:last], '.')
	if mid < 0 || !strings.Contains(body[mid+1:last], ":") {
		return Ref{}, false, nil
	}
	fail := func(why string) (Ref, bool, error) {
		return Ref{}, true, fmt.Errorf("parse ref %q: %s (want #Ref<node.w2:w1:w0.creation>)", s, why)
	}
	node, idText, crText := body[:mid], body[mid+1:last], body[last+1:]
	if !validAtomName(node) {
		return fail(fmt.Sprintf("bad node name %q", node))
	}
	parts := strings.Split(idText, ":")
	if len(parts) == 2 && parts[0] == "" {
		parts = parts[1:] // a one-word ref
	}
	if len(parts) > MaxRefWords {
		return fail("bad number of words")
	}
	words := make([]uint32, len(parts))
	for i, p := range parts {
		w, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return fail(fmt.Sprintf("bad word %q", p))
		}
		words[len(parts)-1-i] = uint32(w)
	}
	cr, err := strconv.ParseUint(crText, 10, 32)
	if err != nil {
		return fail(fmt.Sprintf("bad creation %q", crText))
	}
	r, err = RefFromWords(Atom(node), uint32(cr), words)
	if err != nil {
		return fail(err.Error())
	}
	return r, true, nil
}
