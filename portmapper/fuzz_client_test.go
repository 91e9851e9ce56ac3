package portmapper

import (
	"bytes"
	"testing"
)

// FuzzClientResponses feeds arbitrary bytes to the parsers of what a port
// mapper answers: a node looks up nodes on other hosts, whose daemons it
// does not trust. None may panic, and a PORT_PLEASE2 answer may only be
// accepted whole.
func FuzzClientResponses(f *testing.F) {
	info := NodeInfo{Name: "foo", Port: 4242, Type: NodeTypeNormal, Protocol: ProtocolTCP, Highest: 6, Lowest: 5, Extra: GerlExtra()}
	f.Add(AppendPort2Resp(nil, &info))
	f.Add([]byte{tagPort2Resp, 1})
	f.Add([]byte{tagAlive2XResp, 0, 0, 0, 0, 9})
	f.Add([]byte{tagAlive2Resp, 0, 0, 3})
	f.Add([]byte("name foo at port 4242\nname bar at port 1\n"))
	f.Add([]byte{tagPort2Resp, 0, 0x10, 0x92, 77, 0, 0, 6, 0, 5, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		if info, ok, err := readPort2Resp(r); err == nil && ok {
			// Accepted whole: the answer it read is exactly what
			// encoding the fields again gives.
			read := data[:len(data)-r.Len()]
			if again := AppendPort2Resp(nil, &info); !bytes.Equal(again, read) {
				t.Fatalf("PORT_PLEASE2 answer %x read as %+v, which encodes as %x", read, info, again)
			}
		}
		_, _, _ = readAlive2Resp(bytes.NewReader(data))
		if names, err := parseNames(data); err == nil {
			for _, n := range names {
				if n.Port < 0 || n.Port > 0xffff {
					t.Fatalf("port %d out of range", n.Port)
				}
			}
		}
	})
}
