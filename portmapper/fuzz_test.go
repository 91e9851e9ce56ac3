package portmapper

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseRequest feeds arbitrary bytes, as they arrive on a connection,
// to the daemon's request reader and parser. Seeds are real requests
// captured from Erlang/OTP 25 plus the hostile shapes of hostile_test.go.
// Properties: no panic; a request that parses re-encodes to bytes that
// parse to the same request; nothing longer than MaxRequestLen is read.
//
//	go test -fuzz=FuzzParseRequest -fuzztime=10s ./portmapper/
func FuzzParseRequest(f *testing.F) {
	for _, h := range realRequests {
		f.Add(unhex(f, h))
	}
	f.Add(frame(alive2Body("gerlnode", 4242, 6, 5, GerlExtra())))
	f.Add(frame(alive2Body("old", 1, 5, 5, nil)))
	f.Add(frame([]byte("zfoo\x00")))
	f.Add(frame([]byte{OpDump}))
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte{0, 100, 'z', 'a'})
	f.Add(frame(alive2Body("a\x00b", 1, 6, 5, nil)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		body, err := ReadRequest(r)
		if err != nil {
			return
		}
		if len(body) == 0 || len(body) > MaxRequestLen {
			t.Fatalf("readRequest returned %d bytes", len(body))
		}
		if consumed := len(data) - r.Len(); consumed != len(body)+2 {
			t.Fatalf("consumed %d bytes for a body of %d", consumed, len(body))
		}
		req, err := ParseRequest(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := ReadRequest(bytes.NewReader(req.AppendFrame(nil)))
		if err != nil {
			t.Fatalf("re-encoded request unreadable: %v", err)
		}
		req2, err := ParseRequest(again)
		if err != nil {
			t.Fatalf("re-encoded request %x does not parse: %v", again, err)
		}
		if !reflect.DeepEqual(req, req2) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", req, req2)
		}
		// The answers built from a parsed request are well-formed.
		if req.Op == OpAlive2 && req.Node.Validate() == nil {
			info, ok, err := readPort2Resp(bytes.NewReader(AppendPort2Resp(nil, &req.Node)))
			if err != nil || !ok || !reflect.DeepEqual(info, req.Node) {
				t.Fatalf("PORT_PLEASE2 answer round trip: %+v %v %v", info, ok, err)
			}
		}
	})
}
