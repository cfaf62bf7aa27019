package stopctx

import (
	"context"
	"sync"
	"time"
)

// Context is cancelled (context.Canceled) by Stop and never otherwise.
type Context struct {
	done chan struct{}
	once sync.Once
}

var _ context.Context = (*Context)(nil)

// New returns a running Context.
func New() *Context { return &Context{done: make(chan struct{})} }

// Stop cancels c; calling it again does nothing.
func (c *Context) Stop() { c.once.Do(func() { close(c.done) }) }

// Deadline implements context.Context: there is none.
func (c *Context) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context.
func (c *Context) Done() <-chan struct{} { return c.done }

// Err implements context.Context.
func (c *Context) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// Value implements context.Context: it holds none.
func (c *Context) Value(any) any { return nil }
