package cluster

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/gerl-dev/gerl/node/term"
)

// Type descriptors name the canonical type of a Typed extension in Go
// syntax:
//
//	T := "any" | "bool" | "string" | "int" | "int8" | "int16" | "int32" | "int64"
//	   | "uint" | "uint8" | "uint16" | "uint32" | "uint64" | "float32" | "float64"
//	   | "term.Atom" | "term.Pid" | "term.Ref" | "term.Tuple" | "term.Name"
//	   | "term.Down" | "term.ExitSignal" | "term.NodeUp" | "term.NodeDown"
//	   | "term.Request" | "term.Reply"
//	   | "[]" T | "[" decimal "]" T | "map[" T "]" T
//
// A map's key type must be a scalar, term.Atom, term.Pid, term.Ref or any.

// maxDescLen bounds a type descriptor.
const maxDescLen = 4096

// maxArrayLen bounds a fixed-size array's length in a descriptor; the
// decoder also checks the array against the bytes left in the frame.
const maxArrayLen = 1 << 26

// desc returns the descriptor of canonical type t.
func (c *Codec) desc(t reflect.Type) string {
	c.mu.Lock()
	s, ok := c.descOf[t]
	c.mu.Unlock()
	if ok {
		return s
	}
	var b strings.Builder
	writeDesc(&b, t)
	s = b.String()
	c.mu.Lock()
	if len(c.descOf) < maxTypeCache {
		c.descOf[t] = s
	}
	c.mu.Unlock()
	return s
}

func writeDesc(b *strings.Builder, t reflect.Type) {
	if t == anyType {
		b.WriteString("any")
		return
	}
	if term.IsOwnType(t) {
		b.WriteString("term.")
		b.WriteString(t.Name())
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		b.WriteString("[]")
		writeDesc(b, t.Elem())
	case reflect.Array:
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(t.Len()))
		b.WriteByte(']')
		writeDesc(b, t.Elem())
	case reflect.Map:
		b.WriteString("map[")
		writeDesc(b, t.Key())
		b.WriteByte(']')
		writeDesc(b, t.Elem())
	default:
		b.WriteString(t.Kind().String())
	}
}

// basicType returns the type a descriptor names with a single word: a
// scalar kind, or any.
func basicType(name string) (reflect.Type, bool) {
	if name == "any" {
		return anyType, true
	}
	for _, t := range [...]reflect.Type{reflect.TypeFor[bool](), reflect.TypeFor[string](),
		reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[int16](), reflect.TypeFor[int32](),
		reflect.TypeFor[int64](), reflect.TypeFor[uint](), reflect.TypeFor[uint8](), reflect.TypeFor[uint16](),
		reflect.TypeFor[uint32](), reflect.TypeFor[uint64](), reflect.TypeFor[float32](), reflect.TypeFor[float64]()} {
		if name == t.Name() {
			return t, true
		}
	}
	return nil, false
}

// parse returns the type a descriptor names.
func (c *Codec) parse(s string) (reflect.Type, error) {
	c.mu.Lock()
	t, ok := c.typeOf[s]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	if len(s) > maxDescLen {
		return nil, fmt.Errorf("type descriptor of %d bytes", len(s))
	}
	c.mu.Lock()
	budget := maxMadeTypes - c.made
	c.mu.Unlock()
	p := descParser{s: s, budget: budget}
	t, err := p.typ(0)
	c.mu.Lock()
	c.made += p.made // what was built is kept by reflect, used or not
	if err == nil && p.pos == len(s) {
		c.typeOf[s] = t
	}
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("type descriptor %q: %w", s, err)
	}
	if p.pos != len(s) {
		return nil, fmt.Errorf("type descriptor %q: junk at byte %d", s, p.pos)
	}
	return t, nil
}

type descParser struct {
	s      string
	pos    int
	budget int // how many more types it may build
	made   int // how many it built
}

// make counts one more type built, or refuses it past the budget.
func (p *descParser) make() error {
	if p.made >= p.budget {
		return fmt.Errorf("more than %d distinct composite types received: refusing new ones", maxMadeTypes)
	}
	p.made++
	return nil
}

func (p *descParser) typ(depth int) (reflect.Type, error) {
	if depth > termMaxDepth {
		return nil, fmt.Errorf("nested too deep")
	}
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "[]"):
		p.pos += 2
		e, err := p.typ(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.make(); err != nil {
			return nil, err
		}
		return reflect.SliceOf(e), nil
	case strings.HasPrefix(rest, "["):
		end := strings.IndexByte(rest, ']')
		if end < 2 {
			return nil, fmt.Errorf("bad array length at byte %d", p.pos)
		}
		n, err := strconv.Atoi(rest[1:end])
		if err != nil || n < 0 || n > maxArrayLen || rest[1] == '+' {
			return nil, fmt.Errorf("bad array length %q", rest[1:end])
		}
		p.pos += end + 1
		e, err := p.typ(depth + 1)
		if err != nil {
			return nil, err
		}
		if e.Size() != 0 && uint64(n) > (1<<40)/uint64(e.Size()) {
			return nil, fmt.Errorf("array [%d]%s too large", n, e)
		}
		if err := p.make(); err != nil {
			return nil, err
		}
		return reflect.ArrayOf(n, e), nil
	case strings.HasPrefix(rest, "map["):
		p.pos += 4
		k, err := p.typ(depth + 1)
		if err != nil {
			return nil, err
		}
		if !term.IsKeyType(k) {
			return nil, fmt.Errorf("%s cannot be a map key", k)
		}
		if p.pos >= len(p.s) || p.s[p.pos] != ']' {
			return nil, fmt.Errorf("missing ] at byte %d", p.pos)
		}
		p.pos++
		e, err := p.typ(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.make(); err != nil {
			return nil, err
		}
		return reflect.MapOf(k, e), nil
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "[]"); i >= 0 {
		end = i
	}
	name := rest[:end]
	if t, ok := basicType(name); ok {
		p.pos += end
		return t, nil
	}
	if t, ok := ownType(name); ok {
		p.pos += end
		return t, nil
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

// ownType returns the gerl type a descriptor names term.X (see writeDesc).
func ownType(name string) (reflect.Type, bool) {
	if short, ok := strings.CutPrefix(name, "term."); ok {
		return term.OwnTypeNamed(short)
	}
	return nil, false
}
