package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/sink"
	"github.com/weirstream/weir/stream"
	"github.com/weirstream/weir/window"
)

// Failures: whatever fails, Execute returns an error naming the operator
// and the subtask, and every goroutine of the job is gone.

func TestAPIFailureInTheMiddleOfAChain(t *testing.T) {
	const bad = 7777
	type tc struct {
		name    string
		fail    func(v int64) (int64, error)
		wantMsg string
		panics  bool
	}
	cases := []tc{
		{name: "error", wantMsg: "record 7777 is bad", fail: func(v int64) (int64, error) {
			if v == bad {
				return 0, fmt.Errorf("record %d is bad", v)
			}
			return v, nil
		}},
		{name: "panic", wantMsg: "kaboom at 7777", panics: true, fail: func(v int64) (int64, error) {
			if v == bad {
				panic(fmt.Sprintf("kaboom at %d", v))
			}
			return v, nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			env := quietEnv(4)
			nums := stream.FromSource(env, datagen.Sequence(0, 9999), eventtime.NoWatermarks[int64](), "nums")
			first := stream.Map(nums, func(v int64) (int64, error) { return v, nil }).Name("first")
			boom := stream.Map(first, c.fail).Name("boom")
			after := stream.Filter(boom, func(int64) (bool, error) { return true, nil }).Name("after")
			stream.SinkTo(after, collect.New[int64]())
			if got := vertexNames(t, env); len(got) != 1 || !strings.Contains(got[0], "first -> boom -> after") {
				t.Fatalf("the failing Map is not in the middle of one chain: %q", got)
			}
			err := executeErr(env)
			if err == nil {
				t.Fatal("Execute succeeded although a Map failed")
			}
			for _, want := range []string{`"boom"`, "subtask", "/4", c.wantMsg} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error does not contain %q:\n%v", want, firstLine(err))
				}
			}
			var oe *task.OperatorError
			if !errors.As(err, &oe) || oe.Operator != "boom" || oe.Parallelism != 4 || oe.Subtask < 0 || oe.Subtask > 3 {
				t.Fatalf("error %v is not an OperatorError of \"boom\" at parallelism 4 (got %+v)", firstLine(err), oe)
			}
			if c.panics != errors.Is(err, task.ErrPanic) {
				t.Fatalf("errors.Is(err, task.ErrPanic) = %v, want %v", errors.Is(err, task.ErrPanic), c.panics)
			}
		})
	}
}

// failingSink fails its writes after a number of records.
type failingSink struct{ after int }

type failingWriter struct{ left int }

func (s failingSink) CreateWriter(sink.InitContext) (sink.Writer[int64], error) {
	return &failingWriter{left: s.after}, nil
}
func (w *failingWriter) Write(int64, sink.Context) error {
	if w.left == 0 {
		return errors.New("disk full")
	}
	w.left--
	return nil
}
func (w *failingWriter) Flush(bool) error { return nil }
func (w *failingWriter) Close() error     { return nil }

type failingOpen struct{}

func (failingOpen) Open(stream.RuntimeContext) error { return errors.New("cannot connect") }
func (failingOpen) ProcessElement(_ stream.Context, v int64, out stream.Collector[int64]) error {
	out.Collect(v)
	return nil
}

func TestAPIFailuresAnywhere(t *testing.T) {
	type tc struct {
		name  string
		build func(env *stream.Environment)
		want  []string
	}
	nums := func(env *stream.Environment) *stream.DataStream[int64] {
		return stream.FromSource(env, datagen.Sequence(0, 4999), eventtime.NoWatermarks[int64](), "nums")
	}
	cases := []tc{
		{
			name: "keyed reduce",
			build: func(env *stream.Environment) {
				red := stream.Reduce(stream.KeyBy(nums(env), func(v int64) int64 { return v % 10 }), func(a, b int64) (int64, error) {
					if a+b > 1_000_000 {
						return 0, errors.New("overflowing budget")
					}
					return a + b, nil
				}).Name("budget")
				stream.SinkTo(red, collect.New[int64]())
			},
			want: []string{`"budget"`, "subtask", "overflowing budget"},
		},
		{
			name: "window reduce",
			build: func(env *stream.Environment) {
				w := stream.Window(stream.KeyBy(nums(env), func(v int64) int64 { return v % 3 }), window.GlobalWindows[int64]()).
					Trigger(window.CountTrigger[int64, window.GlobalWindow](10))
				red := stream.WindowReduce(w, func(a, b int64) (int64, error) {
					if b == 4000 {
						return 0, errors.New("window cannot add 4000")
					}
					return a + b, nil
				}).Name("win")
				stream.SinkTo(red, collect.New[int64]())
			},
			want: []string{`"win"`, "subtask", "window cannot add 4000"},
		},
		{
			name: "open",
			build: func(env *stream.Environment) {
				stream.SinkTo(stream.Process[int64, int64](nums(env), failingOpen{}).Name("connector"), collect.New[int64]())
			},
			want: []string{`"connector"`, "subtask", "open", "cannot connect"},
		},
		{
			name: "sink write",
			build: func(env *stream.Environment) {
				stream.SinkTo(nums(env), failingSink{after: 100}).Name("store")
			},
			want: []string{`"store"`, "subtask", "disk full"},
		},
		{
			name: "source generator",
			build: func(env *stream.Environment) {
				src := datagen.New(5000, func(i int64) (int64, error) {
					if i == 3000 {
						return 0, errors.New("generator broke")
					}
					return i, nil
				})
				stream.SinkTo(stream.FromSource(env, src, eventtime.NoWatermarks[int64](), "gen"), collect.New[int64]())
			},
			want: []string{`"Source: gen"`, "subtask", "generator broke"},
		},
		{
			name: "event-time timer",
			build: func(env *stream.Environment) {
				src := datagen.New(100, func(i int64) (int64, error) { return i, nil }, datagen.WithTimestamps(func(v int64) int64 { return v }))
				ks := stream.KeyBy(stream.FromSource(env, src, eventtime.ForMonotonousTimestamps[int64](), "ts"), func(v int64) int64 { return v % 4 })
				stream.SinkTo(stream.KeyedProcess[int64, int64, int64](ks, failingTimer{}).Name("alarm"), collect.New[int64]())
			},
			want: []string{`"alarm"`, "subtask", "timer at 50 failed"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			env := quietEnv(4)
			c.build(env)
			err := executeErr(env)
			if err == nil {
				t.Fatal("Execute succeeded")
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error does not contain %q:\n%v", want, firstLine(err))
				}
			}
		})
	}
}

type failingTimer struct{}

func (failingTimer) ProcessElement(ctx stream.KeyedContext[int64], v int64, _ stream.Collector[int64]) error {
	ctx.TimerService().RegisterEventTimeTimer(v)
	return nil
}

func (failingTimer) OnTimer(_ stream.OnTimerContext[int64], ts int64, _ stream.Collector[int64]) error {
	if ts == 50 {
		return fmt.Errorf("timer at %d failed", ts)
	}
	return nil
}

// Cancelling the context stops an endless job and returns its cause.
func TestAPICancelUnboundedJob(t *testing.T) {
	defer goleak.VerifyNone(t)
	env := quietEnv(4)
	nums := stream.FromSource(env, datagen.New(datagen.Unbounded, func(i int64) (int64, error) { return i, nil }), eventtime.ForMonotonousTimestamps[int64](), "endless")
	sums := stream.Reduce(stream.KeyBy(nums, func(v int64) int64 { return v % 16 }), func(a, b int64) (int64, error) { return a + b, nil })
	out := collect.New[int64]()
	stream.SinkTo(sums, out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.Execute(ctx, "endless") }()
	waitFor(t, "records from the endless job", func() bool { return out.Len() > 1000 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Execute after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Execute did not return within 10s of cancellation")
	}
}
