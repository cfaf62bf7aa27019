package stopctx

import (
	"context"
	"errors"
	"testing"
)

func TestStop(t *testing.T) {
	c := New()
	child, cancel := context.WithCancel(c)
	defer cancel()
	if c.Err() != nil || child.Err() != nil {
		t.Fatal("a new context is already done")
	}
	c.Stop()
	c.Stop()
	<-child.Done()
	if !errors.Is(c.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
		t.Fatalf("after Stop: %v, child %v; want context.Canceled", c.Err(), child.Err())
	}
}
