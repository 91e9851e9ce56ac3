package cluster

// A connection speaks one of two protocols, chosen per peer when it is set
// up: gerl's own between gerl nodes (docs/protocol.md), which carries Go's
// types exactly, and Erlang's distribution protocol towards Erlang and
// Elixir nodes (erlconn.go). What differs sits behind protocol, one per
// connection; everything else of a connection (the reader and writer, the
// send queue and its backpressure, ticks, write deadlines, the teardown
// and nodedown) is conn's, the same for both.
//
// Sending: node.Remote's operations are control messages in one neutral
// form (message), which postMsg hands to the connection's protocol when
// the connection is up. While it is being set up, nobody knows yet which
// protocol it will speak: what is queued is encoded in gerl's form, and a
// connection that turns out to speak Erlang's re-encodes it (transcode) as
// it takes the queue over, in order.

// Protocol kinds, as Peers reports them.
const (
	KindGerl   = "gerl"
	KindErlang = "erlang"
)

// protocol is what one connection's protocol does beyond framing.
type protocol interface {
	// kind is KindGerl or KindErlang.
	kind() string
	// receive decodes and applies one frame from the peer (never a
	// tick), on the connection's reader; an error closes the connection.
	receive(frame []byte) error
	// down runs in the connection's teardown, once the reader stopped:
	// it fails what waits for the peer.
	down()
}

// gerlProto is gerl's own protocol: the Codec's frames, dispatched by
// conn.dispatch.
type gerlProto struct{ c *conn }

func (gerlProto) kind() string { return KindGerl }

func (g gerlProto) receive(frame []byte) error {
	m, err := g.c.d.codec.decodeMessage(frame)
	if err != nil {
		return err
	}
	return g.c.dispatch(m)
}

func (gerlProto) down() {}

// erl returns the connection's Erlang protocol, or nil for a gerl peer.
func (c *conn) erl() *erlProto {
	p, _ := c.proto.(*erlProto)
	return p
}
