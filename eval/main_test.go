package eval

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

const waitTime = 10 * time.Second

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
