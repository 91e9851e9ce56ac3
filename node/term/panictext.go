package term

import (
	"regexp"
	"strings"
)

// PanicText rewrites the message of a panic raised under interpreted code
// in gerl's words. The interpreter runs Go through the reflect package,
// whose panics name reflect's own functions ("reflect: slice index out of
// range", "call of reflect.Value.Field on zero Value") where compiled Go
// would say what went wrong in the user's terms; Go's own messages
// name interfaces the user never wrote. Other messages are returned as
// they are. Safe for concurrent use.
func PanicText(msg string) string {
	for _, r := range panicRewrites {
		if r.re.MatchString(msg) {
			return termNames.ReplaceAllString(r.re.ReplaceAllString(msg, r.to), "gerl.$1")
		}
	}
	if rest, ok := strings.CutPrefix(msg, "reflect: "); ok {
		msg = rest
	}
	return termNames.ReplaceAllString(msg, "gerl.$1")
}

// termNames matches this package's types as reflect names them (term.Atom):
// the user knows them as gerl.Atom.
var termNames = regexp.MustCompile(`\bterm\.([A-Z]\w*)`)

// panicRewrites are the messages PanicText knows, tried in order.
var panicRewrites = []struct {
	re *regexp.Regexp
	to string
}{
	{regexp.MustCompile(`^reflect: (slice|string) index out of range$`), "index out of range (of a $1)"},
	{regexp.MustCompile(`^reflect: array index out of range$`), "index out of range (of an array)"},
	{regexp.MustCompile(`^reflect: (?:slice|array|string) (index|bounds) out of range.*$`), "slice bounds out of range"},
	{regexp.MustCompile(`^reflect: call of reflect\.Value\.(?:Field|Elem|FieldByName|Method)\b.* on zero Value.*$`), "invalid memory address or nil pointer dereference (a field or method of a nil pointer)"},
	{regexp.MustCompile(`^reflect: call of reflect\.Value\.\w+ on zero Value.*$`), "a nil value was used where a value is needed (a nil pointer or interface?)"},
	{regexp.MustCompile(`^reflect: call of reflect\.Value\.Bool on (\w+) Value$`), "&&, || and ! need a bool, not a $1 (an atom such as pong? compare it: x == A(\"pong\"))"},
	{regexp.MustCompile(`^reflect: call of reflect\.Value\.(\w+) on (\w+) Value$`), "a $2 value was used where Go needs something else (operation $1)"},
	{regexp.MustCompile(`^reflect\.Value\.Convert: value of type (.+) cannot be converted to type (.+)$`), "a value of type $1 cannot be converted to $2"},
	{regexp.MustCompile(`^reflect\.Value\.Call: call of nil function$`), "call of a nil function"},
	{regexp.MustCompile(`^reflect: Method on nil interface value$`), "a method called on a nil interface value"},
	{regexp.MustCompile(`^reflect: Call using zero Value argument$`), "a nil value was used where a value is needed (a nil pointer or interface?)"},
	{regexp.MustCompile(`^reflect\.MakeSlice: negative (len|cap)$`), "make: negative length"},
	{regexp.MustCompile(`^reflect\.MakeSlice: len > cap$`), "make: the length is larger than the capacity"},
	{regexp.MustCompile(`^reflect\.\w+: (.*)$`), "$1"},
	{regexp.MustCompile(`^runtime: allocation size out of range$`), "make: the size asked for is too large to allocate"},
	{regexp.MustCompile(`^reflect: (?:cannot use|Call using) (?:interface \{\}|any) as type (\S+)(?: in Call)?$`), "a built-in was given a value of the wrong type: want $1"},
}
