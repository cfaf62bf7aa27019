package datagen

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/weirstream/weir/source"
)

// reader generates the records of its splits one split after the other in
// the subtask goroutine. Generation does not block, so it needs no fetcher
// goroutine; the only other goroutine is the rate limiter's timer.
type reader[T any] struct {
	ctx        source.ReaderContext
	gen        func(int64) (T, error)
	timestamps func(T) int64

	// splits are the assigned unfinished splits; splits[0] is generated.
	splits []*Split
	// out is the output of splits[0], nil until its first poll.
	out    source.SourceOutput[T]
	noMore bool

	limiter *limiter // nil: unlimited
	timer   *time.Timer
	avail   availability
}

func newReader[T any](ctx source.ReaderContext, gen func(int64) (T, error), ts func(T) int64, rate float64) *reader[T] {
	r := &reader[T]{ctx: ctx, gen: gen, timestamps: ts}
	if rate > 0 {
		p := max(ctx.Parallelism(), 1)
		r.limiter = newLimiter(rate/float64(p), ctx.Now(), source.RecordsPerPoll(ctx))
	}
	r.avail.init()
	return r
}

// Start implements source.SourceReader: a reader without restored splits
// asks for one.
func (r *reader[T]) Start() error {
	if len(r.splits) == 0 {
		r.ctx.SendSplitRequest()
	}
	return nil
}

// PollNext implements source.SourceReader.
func (r *reader[T]) PollNext(out source.ReaderOutput[T]) (source.InputStatus, error) {
	// Reset before looking at the state: a timer firing from here on
	// closes the fresh channel, so no wake-up is lost.
	r.avail.reset()
	if len(r.splits) == 0 {
		if r.noMore {
			return source.EndOfInput, nil
		}
		return source.NothingAvailable, nil
	}
	// A fast generator still lets the subtask handle checkpoints and
	// timers between polls.
	batch := source.RecordsPerPoll(r.ctx)
	budget := batch
	if r.limiter != nil {
		now := r.ctx.Now()
		budget = r.limiter.take(now, batch)
		if budget == 0 {
			r.wakeAfter(r.limiter.wait(now))
			return source.NothingAvailable, nil
		}
	}
	emitted, err := r.emit(out, budget)
	if r.limiter != nil && emitted < budget {
		r.limiter.giveBack(budget - emitted)
	}
	if err != nil {
		return source.MoreAvailable, err
	}
	if len(r.splits) == 0 && !r.noMore {
		return source.NothingAvailable, nil
	}
	// More splits, more indexes, or the end of input to report next.
	r.avail.signal()
	return source.MoreAvailable, nil
}

// emit generates up to budget records and reports how many it emitted.
func (r *reader[T]) emit(out source.ReaderOutput[T], budget int) (int, error) {
	n := 0
	for n < budget && len(r.splits) > 0 {
		sp := r.splits[0]
		if r.out == nil {
			r.out = out.CreateOutputForSplit(sp.ID)
		}
		for n < budget && !sp.finished() {
			v, err := r.gen(sp.Next)
			if err != nil {
				return n, fmt.Errorf("datagen: generator failed for index %d (split %s): %w", sp.Next, sp.ID, err)
			}
			if r.timestamps != nil {
				r.out.CollectWithTimestamp(v, r.timestamps(v))
			} else {
				r.out.Collect(v)
			}
			sp.advance()
			n++
		}
		if sp.finished() {
			out.ReleaseOutputForSplit(sp.ID)
			r.out = nil
			r.splits[0] = nil
			r.splits = r.splits[1:]
			if len(r.splits) == 0 && !r.noMore {
				r.ctx.SendSplitRequest()
			}
		}
	}
	return n, nil
}

// wakeAfter fires the availability channel after d, reusing one timer.
func (r *reader[T]) wakeAfter(d time.Duration) {
	if r.timer == nil {
		r.timer = time.AfterFunc(d, r.avail.signal)
		return
	}
	r.timer.Reset(d)
}

// IsAvailable implements source.SourceReader.
func (r *reader[T]) IsAvailable() <-chan struct{} { return r.avail.channel() }

// AddSplits implements source.SourceReader.
func (r *reader[T]) AddSplits(splits []Split) {
	for _, sp := range splits {
		c := sp
		if c.Step < 1 {
			c.Step = 1
		}
		if !c.finished() {
			r.splits = append(r.splits, &c)
		}
	}
	r.avail.signal()
}

// NotifyNoMoreSplits implements source.SourceReader.
func (r *reader[T]) NotifyNoMoreSplits() {
	r.noMore = true
	r.avail.signal()
}

// HandleSourceEvent implements source.SourceReader; the datagen enumerator
// sends no events.
func (r *reader[T]) HandleSourceEvent(source.SourceEvent) {}

// SnapshotState implements source.SourceReader: the unfinished splits with
// the next index of each.
func (r *reader[T]) SnapshotState(int64) ([]Split, error) {
	out := make([]Split, len(r.splits))
	for i, sp := range r.splits {
		out[i] = *sp
	}
	return out, nil
}

// NotifyCheckpointComplete implements source.SourceReader.
func (r *reader[T]) NotifyCheckpointComplete(int64) error { return nil }

// Close implements source.SourceReader.
func (r *reader[T]) Close() error {
	if r.timer != nil {
		r.timer.Stop()
	}
	return nil
}

// availability is the channel IsAvailable returns: closed once PollNext
// may make progress, replaced by a fresh one when PollNext starts.
type availability struct {
	// mu guards ch and fired: the rate limiter's timer signals from its
	// own goroutine.
	mu    sync.Mutex
	ch    chan struct{}
	fired bool
}

func (a *availability) init() { a.ch = make(chan struct{}) }

func (a *availability) signal() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.fired {
		close(a.ch)
		a.fired = true
	}
}

func (a *availability) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fired {
		a.ch = make(chan struct{})
		a.fired = false
	}
}

func (a *availability) channel() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ch
}

// limiter is a token bucket on the reader's clock (ms). Credit accrues at
// rate per ms up to burst, so a reader that was backpressured does not
// flood the pipeline afterwards.
type limiter struct {
	perMs  float64
	burst  float64
	credit float64
	last   int64
}

func newLimiter(perSecond float64, now int64, batch int) *limiter {
	// At most one batch or one second of records at once, and at least
	// one record so slow rates make progress.
	burst := math.Max(1, math.Min(float64(batch), perSecond))
	// The first record is due at once, as with Flink's rate limiter.
	return &limiter{perMs: perSecond / 1000, burst: burst, credit: 1, last: now}
}

func (l *limiter) refill(now int64) {
	if now > l.last {
		l.credit = math.Min(l.burst, l.credit+float64(now-l.last)*l.perMs)
		l.last = now
	}
}

// take returns how many records, at most max, may be emitted now.
func (l *limiter) take(now int64, max int) int {
	l.refill(now)
	n := int(math.Min(math.Floor(l.credit), float64(max)))
	l.credit -= float64(n)
	return n
}

func (l *limiter) giveBack(n int) { l.credit += float64(n) }

// wait is how long until the next record is due, at least 1 ms since the
// clock has ms resolution.
func (l *limiter) wait(now int64) time.Duration {
	l.refill(now)
	ms := math.Ceil((1 - l.credit) / l.perMs)
	if ms < 1 || math.IsNaN(ms) {
		ms = 1
	}
	if ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		ms = float64(math.MaxInt64 / int64(time.Millisecond))
	}
	return time.Duration(ms) * time.Millisecond
}
