package portmapper

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// Requests captured from Erlang/OTP 25.2.3 on loopback (erl -sname capx,
// net_adm:ping(zzz@vm), epmd -names, epmd -kill, epmd -stop foo), length
// prefix included.
var realRequests = map[string]string{
	"alive2 capx": "00117890d14d00000600050004636170780000",
	"port2 zzz":   "00047a7a7a7a",
	"names":       "00016e",
	"kill":        "00016b",
	"stop foo":    "000473666f6f",
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRequest(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		name string
		body []byte // without the length prefix
		want Request
		err  error
	}{
		{"real alive2", unhex(t, realRequests["alive2 capx"])[2:], Request{Op: OpAlive2, Node: NodeInfo{
			Name: "capx", Port: 0x90d1, Type: NodeTypeNormal, Protocol: 0, Highest: 6, Lowest: 5, Extra: []byte{}}}, nil},
		{"real port2", unhex(t, realRequests["port2 zzz"])[2:], Request{Op: OpPortPlease2, Name: "zzz"}, nil},
		{"real names", unhex(t, realRequests["names"])[2:], Request{Op: OpNames}, nil},
		{"real kill", unhex(t, realRequests["kill"])[2:], Request{Op: OpKill}, nil},
		{"real stop", unhex(t, realRequests["stop foo"])[2:], Request{Op: OpStop, Name: "foo"}, nil},
		{"dump", []byte{OpDump}, Request{Op: OpDump}, nil},
		{"names with trailing bytes", []byte("nXYZ"), Request{Op: OpNames}, nil},
		{"port2 NUL-terminated", []byte("zfoo\x00"), Request{Op: OpPortPlease2, Name: "foo"}, nil},
		{"alive2 with extra and trailing bytes", append(alive2Body("n", 1, 6, 5, []byte("gerl/1")), "junk"...),
			Request{Op: OpAlive2, Node: NodeInfo{Name: "n", Port: 1, Type: NodeTypeNormal, Highest: 6, Lowest: 5, Extra: []byte("gerl/1")}}, nil},
		{"alive2 with an invalid but well-formed name parses", alive2Body(long, 1, 6, 5, nil),
			Request{Op: OpAlive2, Node: NodeInfo{Name: long, Port: 1, Type: NodeTypeNormal, Highest: 6, Lowest: 5, Extra: []byte{}}}, nil},

		{"empty", nil, Request{}, ErrMalformed},
		{"unknown opcode", []byte{1}, Request{}, ErrMalformed},
		{"old ALIVE 'a'", []byte("a\x00\x01foo"), Request{}, ErrMalformed},
		{"alive2 with an empty name and trailing bytes", []byte("x00000000\x00\x00\x00\x00000"), Request{}, ErrMalformed},
		{"alive2 too short", alive2Body("x", 1, 6, 5, nil)[:13], Request{}, ErrMalformed},
		{"alive2 name length past the end", func() []byte {
			b := alive2Body("abc", 1, 6, 5, nil)
			b[10] = 200
			return b
		}(), Request{}, ErrMalformed},
		{"alive2 extra length past the end", func() []byte {
			b := alive2Body("abc", 1, 6, 5, []byte("e"))
			b[len(b)-2] = 9
			return b
		}(), Request{}, ErrMalformed},
		{"alive2 NUL in name", alive2Body("a\x00b", 1, 6, 5, nil), Request{}, ErrMalformed},
		{"port2 without name", []byte{OpPortPlease2}, Request{}, ErrMalformed},
		{"port2 only NUL", []byte{OpPortPlease2, 0}, Request{}, ErrMalformed},
		{"port2 NUL inside", []byte("zfo\x00o"), Request{}, ErrMalformed},
		{"stop without name", []byte{OpStop}, Request{}, ErrMalformed},
		{"too long", append([]byte{OpNames}, make([]byte, MaxRequestLen)...), Request{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRequest(tt.body)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestAppendFrameMatchesErlang checks that the client encodes requests
// exactly as Erlang does.
func TestAppendFrameMatchesErlang(t *testing.T) {
	tests := []struct {
		name string
		req  Request
	}{
		{"alive2 capx", Request{Op: OpAlive2, Node: NodeInfo{Name: "capx", Port: 0x90d1, Type: NodeTypeNormal, Highest: 6, Lowest: 5}}},
		{"port2 zzz", Request{Op: OpPortPlease2, Name: "zzz"}},
		{"names", Request{Op: OpNames}},
		{"kill", Request{Op: OpKill}},
		{"stop foo", Request{Op: OpStop, Name: "foo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hex.EncodeToString(tt.req.AppendFrame(nil))
			if want := realRequests[tt.name]; got != want {
				t.Fatalf("encoded %s, Erlang sends %s", got, want)
			}
		})
	}
}

func TestReadRequest(t *testing.T) {
	valid := unhex(t, realRequests["alive2 capx"])
	tests := []struct {
		name  string
		input io.Reader
		want  []byte
		err   error
	}{
		{"empty", bytes.NewReader(nil), nil, io.EOF},
		{"one byte", bytes.NewReader([]byte{0}), nil, ErrMalformed},
		{"zero length", bytes.NewReader([]byte{0, 0}), nil, ErrMalformed},
		{"zero length with data after", bytes.NewReader([]byte{0, 0, 'n'}), nil, ErrMalformed},
		{"too large by one", bytes.NewReader([]byte{(MaxRequestLen + 1) >> 8, (MaxRequestLen + 1) & 0xff}), nil, ErrMalformed},
		{"largest length", bytes.NewReader([]byte{0xff, 0xff}), nil, ErrMalformed},
		{"partial body", bytes.NewReader(valid[:10]), nil, ErrMalformed},
		{"header only", bytes.NewReader(valid[:2]), nil, ErrMalformed},
		{"whole", bytes.NewReader(valid), valid[2:], nil},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(valid)), valid[2:], nil},
		{"largest allowed", bytes.NewReader(frame(append([]byte{OpNames}, make([]byte, MaxRequestLen-1)...))),
			append([]byte{OpNames}, make([]byte, MaxRequestLen-1)...), nil},
		{"read error", iotest.ErrReader(errors.New("boom")), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRequest(tt.input)
			if tt.err == nil && tt.want == nil {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got %x, want %x", got, tt.want)
			}
		})
	}
}

// TestAnswersMatchEpmd compares encoded answers with bytes the real epmd
// sent for the same requests.
func TestAnswersMatchEpmd(t *testing.T) {
	foo := NodeInfo{Name: "foo", Port: 5555, Type: NodeTypeNormal, Highest: 6, Lowest: 5}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"alive2 x ok", AppendAlive2Resp(nil, 6, Alive2OK, 0x6b019081), "76006b019081"},
		{"alive2 x refused", AppendAlive2Resp(nil, 6, Alive2NameTaken, 12345), "760100000063"},
		{"alive2 old ok", AppendAlive2Resp(nil, 5, Alive2OK, 2), "79000002"},
		{"alive2 old refused", AppendAlive2Resp(nil, 5, Alive2NameTaken, 7), "79010063"},
		// Not epmd's (it has no limit to report), in epmd's shape.
		{"alive2 x table full", AppendAlive2Resp(nil, 6, Alive2TableFull, 12345), "760200000063"},
		{"alive2 old table full", AppendAlive2Resp(nil, 5, Alive2TableFull, 7), "79020063"},
		{"port2 found", AppendPort2Resp(nil, &foo), "770015b34d00000600050003666f6f0000"},
		{"port2 unknown", AppendPort2Resp(nil, nil), "7701"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Fatalf("got %s, epmd sends %s", got, tt.want)
			}
		})
	}
}

func TestReadAnswers(t *testing.T) {
	foo := NodeInfo{Name: "foo", Port: 5555, Type: NodeTypeHidden, Highest: 6, Lowest: 5, Extra: []byte("gerl/1")}
	info, ok, err := readPort2Resp(iotest.OneByteReader(bytes.NewReader(AppendPort2Resp(nil, &foo))))
	if err != nil || !ok || !reflect.DeepEqual(info, foo) {
		t.Fatalf("readPort2Resp = %+v, %v, %v", info, ok, err)
	}
	if _, ok, err := readPort2Resp(bytes.NewReader([]byte{tagPort2Resp, 1})); ok || err != nil {
		t.Fatalf("unknown name: ok=%v err=%v", ok, err)
	}
	full := AppendPort2Resp(nil, &foo)
	for n := range len(full) {
		if _, _, err := readPort2Resp(bytes.NewReader(full[:n])); err == nil {
			t.Fatalf("truncated answer of %d bytes accepted", n)
		}
	}
	if _, _, err := readPort2Resp(bytes.NewReader([]byte{'X', 0})); !errors.Is(err, ErrMalformed) {
		t.Fatalf("wrong tag: %v", err)
	}
	for _, tt := range []struct {
		in       string
		result   byte
		creation uint32
	}{{"76006b019081", Alive2OK, 0x6b019081}, {"760100000063", Alive2NameTaken, 99}, {"79000003", Alive2OK, 3},
		{"760200000063", Alive2TableFull, 99}, {"79020063", Alive2TableFull, 99}} {
		result, c, err := readAlive2Resp(bytes.NewReader(unhex(t, tt.in)))
		if err != nil || result != tt.result || c != tt.creation {
			t.Fatalf("readAlive2Resp(%s) = %d, %d, %v", tt.in, result, c, err)
		}
	}
	for _, bad := range []string{"", "76", "7600", "760000", "7900", "ff000000"} {
		if _, _, err := readAlive2Resp(bytes.NewReader(unhex(t, bad))); err == nil {
			t.Fatalf("readAlive2Resp(%s) accepted", bad)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"foo", true},
		{"node_1-a.b", true},
		{"näme", true},
		{strings.Repeat("é", MaxNameChars), true},
		{strings.Repeat("😀", MaxNameChars), true},
		{strings.Repeat("a", MaxNameChars), true},
		{strings.Repeat("a", MaxNameChars+1), false},
		{strings.Repeat("é", MaxNameChars+1), false},
		{"", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"\xff\xfe", false},
		{"\xc0\x80", false},     // overlong NUL
		{"\xed\xa0\x80", false}, // surrogate
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) error %v does not wrap ErrInvalidName", tt.name, err)
		}
	}
}

func TestIsGerl(t *testing.T) {
	tests := []struct {
		extra []byte
		gerl  bool
	}{
		{GerlExtra(), true},
		{[]byte("gerl/2"), true},
		{nil, false},
		{[]byte{}, false},
		{[]byte("gerl"), false},
		{[]byte("elixir"), false},
	}
	for _, tt := range tests {
		n := NodeInfo{Name: "x", Highest: 6, Lowest: 5, Extra: tt.extra}
		if n.IsGerl() != tt.gerl {
			t.Errorf("IsGerl(%q) = %v", tt.extra, !tt.gerl)
		}
		err := n.RequireGerl()
		if (err == nil) != tt.gerl || (err != nil && !errors.Is(err, ErrNotGerl)) {
			t.Errorf("RequireGerl(%q) = %v", tt.extra, err)
		}
	}
	err := NodeInfo{Name: "rabbit", Highest: 6, Lowest: 5}.RequireGerl()
	if err == nil || !strings.Contains(err.Error(), "rabbit is an Erlang node") {
		t.Fatalf("RequireGerl for an Erlang node = %v", err)
	}
	a, b := GerlExtra(), GerlExtra()
	a[0] = 'X'
	if string(b) != "gerl/1" {
		t.Fatal("GerlExtra returns shared memory")
	}
}

// TestRefusals: each refusal of ALIVE2 is its own error, so that a full
// daemon is never reported as a name clash.
func TestRefusals(t *testing.T) {
	tests := []struct {
		result byte
		want   error
		not    error
	}{
		{Alive2NameTaken, ErrNameTaken, ErrTableFull},
		{Alive2TableFull, ErrTableFull, ErrNameTaken},
		{7, nil, nil},
	}
	for _, tt := range tests {
		err := refusal(tt.result)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || (tt.not != nil && errors.Is(err, tt.not)) {
			t.Errorf("refusal(%d) = %v, want %v", tt.result, err, tt.want)
		}
		if tt.want == nil && (errors.Is(err, ErrNameTaken) || errors.Is(err, ErrTableFull) || !strings.Contains(err.Error(), "result 7")) {
			t.Errorf("refusal(%d) = %v, want an unknown result", tt.result, err)
		}
	}
}

func TestNamesParsesEpmdOutput(t *testing.T) {
	got, err := parseNames([]byte("name old at port 5555\nname with space at port 1\n"))
	want := []NameEntry{{"old", 5555}, {"with space", 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseNames = %v, %v", got, err)
	}
	if _, err := parseNames([]byte("name x at port 1")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unterminated line: %v", err)
	}
}

// frame prefixes body with its 2-byte length.
func frame(body []byte) []byte {
	return append([]byte{byte(len(body) >> 8), byte(len(body))}, body...)
}

// alive2Body builds an ALIVE2 request body.
func alive2Body(name string, port int, highest, lowest uint16, extra []byte) []byte {
	r := Request{Op: OpAlive2, Node: NodeInfo{Name: name, Port: port, Type: NodeTypeNormal,
		Highest: highest, Lowest: lowest, Extra: extra}}
	return r.AppendFrame(nil)[2:]
}
