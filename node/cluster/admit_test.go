package cluster

import (
	"bufio"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// TestLimitedLog: a burst of events of one kind is logged as its first
// event and then one line saying how many more came, per window: nothing
// is lost, and the log does not grow with the burst.
func TestLimitedLog(t *testing.T) {
	var buf testkit.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	l := limitedLog{window: 50 * time.Millisecond}
	defer l.close()
	const n = 200
	for i := 0; i < n; i++ {
		l.log(log, slog.LevelWarn, "refused", "i", i)
	}
	more := regexp.MustCompile(`more=(\d+)`)
	count := func() (events, lines int) {
		for _, line := range buf.Lines("refused") {
			lines++
			if m := more.FindStringSubmatch(line); m != nil {
				k, _ := strconv.Atoi(m[1])
				events += k
			} else {
				events++
			}
		}
		return events, lines
	}
	testkit.Eventually(t, waitTime, "every event accounted for", func() bool { e, _ := count(); return e == n })
	if _, lines := count(); lines >= n/2 {
		t.Fatalf("%d lines for %d events:\n%s", lines, n, buf.String())
	}
}

// TestUpgradeReaderKeepsBufferedBytes: what the handshake's small reader
// read past the handshake is read first through the connection's reader.
func TestUpgradeReaderKeepsBufferedBytes(t *testing.T) {
	src := strings.NewReader("HELLO|frame one|frame two")
	small := bufio.NewReaderSize(src, 16)
	head := make([]byte, 6)
	if _, err := io.ReadFull(small, head); err != nil || string(head) != "HELLO|" {
		t.Fatalf("%q %v", head, err)
	}
	rest, err := io.ReadAll(upgradeReader(small, src))
	if err != nil || string(rest) != "frame one|frame two" {
		t.Fatalf("%q %v", rest, err)
	}
}
