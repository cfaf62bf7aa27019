package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestQueueOrderCapacityAndPriority(t *testing.T) {
	q := New(2)
	ctx := context.Background()
	if err := q.Push(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if q.HasSpace() {
		t.Fatal("queue of capacity 2 with 2 elements reports space")
	}
	q.PushPriority("barrier")
	want := []any{"barrier", 1, 2}
	for _, w := range want {
		got, ok := q.Poll()
		if !ok || got != w {
			t.Fatalf("Poll = %v, %v; want %v", got, ok, w)
		}
	}
	if _, ok := q.Poll(); ok {
		t.Fatal("Poll on empty queue returned an element")
	}
}

func TestPushBlocksUntilSpaceOrCancel(t *testing.T) {
	q := New(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := q.Push(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- q.Push(ctx, "b") }()
	select {
	case err := <-done:
		t.Fatalf("Push into a full queue returned %v without blocking", err)
	case <-time.After(50 * time.Millisecond):
	}
	if x, _ := q.Poll(); x != "a" {
		t.Fatalf("got %v", x)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Full again: cancellation must release the producer without enqueueing.
	go func() { done <- q.Push(ctx, "c") }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Push after cancel = %v, want context.Canceled", err)
	}
	if q.Len() != 1 {
		t.Fatalf("Len = %d, want 1 (cancelled push must not enqueue)", q.Len())
	}
}

func TestGateDeliversEverythingFromConcurrentProducers(t *testing.T) {
	const producers, each = 4, 5000
	qs := make([]*Queue, producers)
	for i := range qs {
		qs[i] = New(3)
	}
	g := NewGate(qs)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := qs[p].Push(context.Background(), p*each+i); err != nil {
					t.Error(err)
					return
				}
			}
			_ = qs[p].Push(context.Background(), EndOfPartition{})
		}()
	}
	next := make([]int, producers)
	ended := 0
	for ended < producers {
		x, ch, ok := g.Poll()
		if !ok {
			select {
			case <-g.Ready():
			case <-time.After(5 * time.Second):
				t.Fatal("gate never signalled ready: lost wake-up")
			}
			continue
		}
		if _, end := x.(EndOfPartition); end {
			ended++
			continue
		}
		if want := ch*each + next[ch]; x != want {
			t.Fatalf("channel %d delivered %v, want %d (per-channel order)", ch, x, want)
		}
		next[ch]++
	}
	wg.Wait()
	for ch, n := range next {
		if n != each {
			t.Fatalf("channel %d delivered %d of %d", ch, n, each)
		}
	}
}

func TestQueueGrowsForPriorityBeyondCapacity(t *testing.T) {
	q := New(1)
	_ = q.Push(context.Background(), 1)
	for i := range 5 {
		q.PushPriority(-i)
	}
	if q.Len() != 6 {
		t.Fatalf("Len = %d, want 6", q.Len())
	}
	for i := 4; i >= 0; i-- {
		if x, _ := q.Poll(); x != -i {
			t.Fatalf("got %v want %d", x, -i)
		}
	}
}

func TestPushBarrierCountsOvertakenAndOverflowDoesNotBlock(t *testing.T) {
	q := New(2)
	ctx := context.Background()
	for i := range 2 {
		if err := q.Push(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	q.PushOverflow(2) // beyond capacity, must not block
	q.PushBarrier(Barrier{ID: 7})
	x, _ := q.Poll()
	b, ok := x.(Barrier)
	if !ok || b.ID != 7 || b.Overtaken != 3 {
		t.Fatalf("first element %#v, want barrier 7 that overtook 3 elements", x)
	}
	for want := range 3 {
		if x, _ := q.Poll(); x != want {
			t.Fatalf("got %v, want %d: overtaken data must keep its order", x, want)
		}
	}
}

func TestExtractBarrierMovesItAhead(t *testing.T) {
	q := New(8)
	ctx := context.Background()
	for _, x := range []any{"a", "b", Barrier{ID: 3}, "c"} {
		if err := q.Push(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if got := q.Peek(2); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("Peek(2) = %v", got)
	}
	if _, _, found := q.ExtractBarrier(4); found {
		t.Fatal("found a barrier that is not queued")
	}
	b, ahead, found := q.ExtractBarrier(3)
	if !found || ahead != 2 || b.ID != 3 {
		t.Fatalf("ExtractBarrier(3) = %d, %v; want 2 elements ahead", ahead, found)
	}
	for _, want := range []any{"a", "b", "c"} {
		if x, _ := q.Poll(); x != want {
			t.Fatalf("got %v, want %v", x, want)
		}
	}
	if q.Len() != 0 {
		t.Fatalf("%d elements left", q.Len())
	}
}
