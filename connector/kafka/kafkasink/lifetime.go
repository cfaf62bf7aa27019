package kafkasink

import (
	"context"
	"sync"
	"time"
)

// lifetime is a context.Context that ends only when its owner calls end.
// Writers and committers live from their creation to Close, neither of
// which takes a context, so the Kafka calls they make have no parent
// context to derive from; Close ends this one, which cancels anything
// still waiting.
type lifetime struct {
	done chan struct{}
	once sync.Once
}

var _ context.Context = (*lifetime)(nil)

func newLifetime() *lifetime { return &lifetime{done: make(chan struct{})} }

func (l *lifetime) end() { l.once.Do(func() { close(l.done) }) }

func (l *lifetime) Deadline() (time.Time, bool) { return time.Time{}, false }

func (l *lifetime) Done() <-chan struct{} { return l.done }

func (l *lifetime) Err() error {
	select {
	case <-l.done:
		return context.Canceled
	default:
		return nil
	}
}

func (l *lifetime) Value(any) any { return nil }
