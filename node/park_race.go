//go:build race

package node

import "sync"

// parker, under the race detector, is a WaitGroup used as a binary
// semaphore: prepare adds the one wake the wait needs, and wake gives
// it. See park.go for the parker of every other build.
type parker struct{ wg sync.WaitGroup }

func (k *parker) prepare() { k.wg.Add(1) }
func (k *parker) wait()    { k.wg.Wait() }
func (k *parker) wake()    { k.wg.Done() }
