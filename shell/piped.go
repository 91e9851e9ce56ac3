package shell

import (
	"bufio"
	"io"
	"strings"

	"github.com/gerl-dev/gerl/eval"
)

// inputReader cuts a stream into complete inputs, line by line, the way
// the interactive prompt does: an input ends at the first line where it is
// complete (eval.Incomplete).
type inputReader struct {
	r   *bufio.Reader
	buf strings.Builder
}

func newInputReader(r io.Reader) *inputReader {
	return &inputReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next complete input, or what is left at the end of the
// stream with io.EOF. Blank inputs are skipped.
func (in *inputReader) next() (string, error) {
	for {
		line, err := in.r.ReadString('\n')
		in.buf.WriteString(line)
		if err != nil {
			src := in.buf.String()
			in.buf.Reset()
			if isBlank(src) {
				src = ""
			}
			return src, err
		}
		src := in.buf.String()
		if isBlank(src) {
			in.buf.Reset()
			continue
		}
		if !eval.Incomplete(src) {
			in.buf.Reset()
			return src, nil
		}
	}
}
