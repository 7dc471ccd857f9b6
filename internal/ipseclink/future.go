package ipseclink

import (
	"context"
	"sync"
)

// future is a value one step produces and others wait for. The step graph
// is a handful of goroutines joined by futures: each step starts at once and
// blocks only on what it really needs, so the Hetzner side and the local
// network gateway finish inside the Azure gateway's long wait.
type future[T any] struct {
	once sync.Once
	done chan struct{}
	val  T
}

func newFuture[T any]() *future[T] { return &future[T]{done: make(chan struct{})} }

// set publishes v; later calls are ignored.
func (f *future[T]) set(v T) {
	f.once.Do(func() {
		f.val = v
		close(f.done)
	})
}

// get waits for the value or for ctx to end (a sibling step failed, or the
// create timed out).
func (f *future[T]) get(ctx context.Context) (T, error) {
	select {
	case <-f.done:
		return f.val, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
