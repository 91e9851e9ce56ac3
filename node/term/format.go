package term

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Format renders v the way the erl shell prints terms: atoms bare or
// 'quoted', tuples {a,b}, lists [1,2], maps #{k => v} with sorted keys,
// binaries <<"text">> or <<1,2>>, strings "quoted", pids <foo@vm.42.0>.
// Values that are not terms print as fmt's %v. Format never panics, also on
// cyclic values (nesting beyond MaxDepth prints as ...).
func Format(v any) string {
	var b strings.Builder
	writeTerm(&b, v, 0)
	return b.String()
}

// FormatAtom renders an atom as erl does: bare when it is a lowercase name
// of letters, digits, _ and @; single-quoted otherwise.
func FormatAtom(a Atom) string {
	if atomNeedsQuotes(string(a)) {
		return quoteAtom(string(a))
	}
	return string(a)
}

func atomNeedsQuotes(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return true
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '@') {
			return true
		}
	}
	return false
}

func quoteAtom(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x{%X}", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// FormatFloat prints a float as erl does: always with a fraction or exponent.
func FormatFloat(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

func writeTerm(b *strings.Builder, v any, depth int) {
	if depth > MaxDepth {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("nil")
	case Atom:
		b.WriteString(FormatAtom(x))
	case string:
		b.WriteString(strconv.Quote(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(FormatFloat(x, 64))
	case float32:
		b.WriteString(FormatFloat(float64(x), 32))
	case Pid:
		b.WriteString(x.String())
	case Ref:
		b.WriteString(x.String())
	case Tuple:
		writeSeq(b, '{', '}', len(x), func(i int) any { return x[i] }, depth)
	case []any:
		writeSeq(b, '[', ']', len(x), func(i int) any { return x[i] }, depth)
	case []byte:
		writeBinary(b, x)
	case Name:
		writeTerm(b, Tuple{x.Name, x.Node}, depth)
	case Down:
		var obj any = x.Pid
		if x.Name != "" {
			obj = Tuple{x.Name, x.Pid.Node}
		}
		writeTerm(b, Tuple{Atom("DOWN"), x.Ref, Atom("process"), obj, x.Reason}, depth)
	case ExitSignal:
		writeTerm(b, Tuple{Atom("EXIT"), x.From, x.Reason}, depth)
	case NodeUp:
		writeTerm(b, Tuple{Atom("nodeup"), x.Node}, depth)
	case NodeDown:
		if x.Reason == nil {
			writeTerm(b, Tuple{Atom("nodedown"), x.Node}, depth)
		} else {
			writeTerm(b, Tuple{Atom("nodedown"), x.Node, []any{Tuple{Atom("nodedown_reason"), x.Reason}}}, depth)
		}
	case Request:
		var tag any = x.Ref
		if x.Tag != nil {
			tag = x.Tag
		}
		writeTerm(b, Tuple{Atom("$gen_call"), Tuple{x.From, tag}, x.Body}, depth)
	case Reply:
		var tag any = x.Ref
		if x.Tag != nil {
			tag = x.Tag
		}
		writeTerm(b, Tuple{tag, x.Value}, depth)
	case BigInt:
		b.WriteString(x.String())
	case Opaque:
		b.WriteString(x.String())
	case BitString:
		b.WriteString(x.String())
	case ImproperList:
		writeImproper(b, x, depth)
	case Map:
		entries := make([]mapEntry, len(x))
		for i, p := range x {
			entries[i] = formatEntry(p.Key, p.Value, depth)
		}
		writeEntries(b, entries)
	case error:
		b.WriteString(ErrorText(x))
	default:
		writeReflect(b, v, depth)
	}
}

func writeSeq(b *strings.Builder, open, close byte, n int, elem func(int) any, depth int) {
	b.WriteByte(open)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		writeTerm(b, elem(i), depth+1)
	}
	b.WriteByte(close)
}

func writeBinary(b *strings.Builder, x []byte) {
	b.WriteString("<<")
	printable := len(x) > 0
	for _, c := range x {
		if c < 0x20 || c > 0x7e {
			printable = false
			break
		}
	}
	if printable {
		b.WriteString(strconv.Quote(string(x)))
	} else {
		for i, c := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(c)))
		}
	}
	b.WriteString(">>")
}

func writeReflect(b *strings.Builder, v any, depth int) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(FormatFloat(rv.Float(), rv.Type().Bits()))
	case reflect.String:
		b.WriteString(strconv.Quote(rv.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(rv.Bool()))
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			writeBinary(b, rv.Bytes())
			return
		}
		writeSeq(b, '[', ']', rv.Len(), func(i int) any { return rv.Index(i).Interface() }, depth)
	case reflect.Array:
		writeSeq(b, '[', ']', rv.Len(), func(i int) any { return rv.Index(i).Interface() }, depth)
	case reflect.Map:
		writeMap(b, rv, depth)
	case reflect.Func, reflect.Chan:
		// Not terms, but found in error messages and panics: a type says
		// more than an address.
		switch {
		case rv.IsNil():
			b.WriteString("nil")
		case rv.Kind() == reflect.Func:
			fmt.Fprintf(b, "#Fun<%s>", rv.Type())
		default:
			fmt.Fprintf(b, "#Chan<%s>", rv.Type())
		}
	default:
		fmt.Fprintf(b, "%v", v)
	}
}

// mapEntry is a map entry as printed.
type mapEntry struct{ k, v string }

func formatEntry(k, v any, depth int) mapEntry {
	var kb, vb strings.Builder
	writeTerm(&kb, k, depth+1)
	writeTerm(&vb, v, depth+1)
	return mapEntry{kb.String(), vb.String()}
}

func writeMap(b *strings.Builder, rv reflect.Value, depth int) {
	entries := make([]mapEntry, 0, rv.Len())
	iter := rv.MapRange()
	for iter.Next() {
		entries = append(entries, formatEntry(iter.Key().Interface(), iter.Value().Interface(), depth))
	}
	writeEntries(b, entries)
}

// writeEntries prints a map's entries sorted by their keys' text.
func writeEntries(b *strings.Builder, entries []mapEntry) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].k < entries[j].k })
	b.WriteString("#{")
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.k)
		b.WriteString(" => ")
		b.WriteString(e.v)
	}
	b.WriteByte('}')
}

// writeImproper prints an improper list as erl does: [a,b|c].
func writeImproper(b *strings.Builder, l ImproperList, depth int) {
	b.WriteByte('[')
	for i, e := range l.Elems {
		if i > 0 {
			b.WriteByte(',')
		}
		writeTerm(b, e, depth+1)
	}
	b.WriteByte('|')
	writeTerm(b, l.Tail, depth+1)
	b.WriteByte(']')
}

// ErrorText returns err's message. A method that panics (a typed nil
// pointer whose Error dereferences it) gives fmt's rendering of the panic
// instead of taking the caller down.
func ErrorText(err error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("%v", err) // fmt reports the panic in its output
		}
	}()
	return err.Error()
}
