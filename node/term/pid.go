package term

import (
	"fmt"
	"strconv"
	"strings"
)

// NoNode is the node name of a node started without distribution, as in erl.
const NoNode Atom = "nonode@nohost"

// Pid names a process: the node it lives on, its id on that node, and the
// node's creation (a number that changes each time a node of that name
// starts, so a pid of an earlier incarnation never reaches a new process).
// Pids are comparable values and can be map keys.
type Pid struct {
	Node     Atom
	ID       uint64
	Creation uint32
}

// String prints the pid as <node.id.creation>, e.g. <foo@vm.42.0>.
func (p Pid) String() string { return identString("<", p.Node, p.ID, p.Creation) }

// IsZero reports whether p is the zero Pid, which names no process.
func (p Pid) IsZero() bool { return p == Pid{} }

// Ref is a reference unique on its node's incarnation: monitors and calls
// are identified by refs. Refs are comparable values and can be map keys.
//
// gerl's refs are two 32-bit words, ID. An Erlang node's refs have 1 to 5
// words (3 usually): ID holds the first two, and the rest, with the count,
// sits in fields only RefFromWords sets (see erlref.go). They are zero for
// gerl's refs, so Ref{Node: n, ID: id, Creation: c} is a gerl ref.
type Ref struct {
	Node     Atom
	ID       uint64
	Creation uint32
	ext      refWords
}

// String prints the ref as #Ref<node.id.creation>; an Erlang ref of other
// than two words prints its words most significant first, joined by
// colons, as the id: #Ref<a@vm.3636896942:2512125953:133947.1796359012>.
func (r Ref) String() string {
	if r.ext.n == 0 {
		return identString("#Ref<", r.Node, r.ID, r.Creation)
	}
	return r.erlangString()
}

// identString prints a pid or ref: prefix, node.id.creation, then ">".
func identString(prefix string, node Atom, id uint64, creation uint32) string {
	var b strings.Builder
	b.Grow(len(prefix) + len(node) + 24)
	b.WriteString(prefix)
	b.WriteString(string(node))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(id, 10))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(uint64(creation), 10))
	b.WriteByte('>')
	return b.String()
}

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r == Ref{} }

// ParsePid parses the text a Pid prints as, "<foo@vm.42.0>". The node part
// may itself contain dots (foo@host.example.com): the id and creation are the
// last two dot-separated fields.
func ParsePid(s string) (Pid, error) {
	node, id, cr, err := parseIdent(s, "<", ">")
	if err != nil {
		return Pid{}, fmt.Errorf("parse pid %q: %w (want <node.id.creation>, e.g. <foo@vm.42.0>)", s, err)
	}
	return Pid{Node: node, ID: id, Creation: cr}, nil
}

// ParseRef parses the text a Ref prints as, "#Ref<foo@vm.7.0>", or an
// Erlang ref's "#Ref<a@vm.3636896942:2512125953:133947.1796359012>".
func ParseRef(s string) (Ref, error) {
	if r, ok, err := parseErlangRef(s); ok {
		return r, err
	}
	node, id, cr, err := parseIdent(s, "#Ref<", ">")
	if err != nil {
		return Ref{}, fmt.Errorf("parse ref %q: %w (want #Ref<node.id.creation>)", s, err)
	}
	return Ref{Node: node, ID: id, Creation: cr}, nil
}

func parseIdent(s, open, closing string) (Atom, uint64, uint32, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, open) || !strings.HasSuffix(s, closing) || len(s) < len(open)+len(closing) {
		return "", 0, 0, fmt.Errorf("missing %s...%s", open, closing)
	}
	body := s[len(open) : len(s)-len(closing)]
	last := strings.LastIndexByte(body, '.')
	if last < 0 {
		return "", 0, 0, fmt.Errorf("missing creation")
	}
	mid := strings.LastIndexByte(body[:last], '.')
	if mid < 0 {
		return "", 0, 0, fmt.Errorf("missing id")
	}
	node, idText, crText := body[:mid], body[mid+1:last], body[last+1:]
	if !validAtomName(node) {
		return "", 0, 0, fmt.Errorf("bad node name %q", node)
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return "", 0, 0, fmt.Errorf("bad id %q", idText)
	}
	cr, err := strconv.ParseUint(crText, 10, 32)
	if err != nil {
		return "", 0, 0, fmt.Errorf("bad creation %q", crText)
	}
	return Atom(node), id, uint32(cr), nil
}
