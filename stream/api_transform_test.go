package stream_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

// Stateless transformations, Process with its context and side outputs,
// Union and the partitionings.

func TestAPIMapFlatMapFilter(t *testing.T) {
	const n = 10_000
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			nums := stream.FromSource(env, datagen.Sequence(0, n-1), eventtime.NoWatermarks[int64](), "nums")
			tripled := stream.Map(nums, func(v int64) (int64, error) { return v * 3, nil })
			spread := stream.FlatMap(tripled, func(v int64, out stream.Collector[string]) error {
				out.Collect(fmt.Sprint(v))
				if v%2 == 0 {
					out.Collect(fmt.Sprint(-v))
				}
				return nil
			})
			kept := stream.Filter(spread, func(s string) (bool, error) { return !strings.HasSuffix(s, "5"), nil })
			out := collect.New[string]()
			stream.SinkTo(kept, out)
			execute(t, env)

			var want []string
			for v := int64(0); v < n; v++ {
				x := v * 3
				emitted := []string{fmt.Sprint(x)}
				if x%2 == 0 {
					emitted = append(emitted, fmt.Sprint(-x))
				}
				for _, s := range emitted {
					if !strings.HasSuffix(s, "5") {
						want = append(want, s)
					}
				}
			}
			if !slices.Equal(sorted(out.Values()), sorted(want)) {
				t.Fatalf("got %d records, want %d", out.Len(), len(want))
			}
			subtasks := map[int]bool{}
			for _, r := range out.Records() {
				subtasks[r.Subtask] = true
				if r.Timestamp != eventtime.NoTimestamp {
					t.Fatalf("record %q has timestamp %d; the source gave none", r.Value, r.Timestamp)
				}
			}
			for sub := range subtasks {
				if sub < 0 || sub >= p {
					t.Fatalf("record from subtask %d at parallelism %d", sub, p)
				}
			}
		})
	}
}

// stampProbe is a ProcessFunction reporting what its context says about
// each record, and routing evens and odds to two side outputs of different
// types.
type stampProbe struct {
	evens stream.OutputTag[int64]
	odds  stream.OutputTag[string]
	sub   int
}

type stamped struct {
	V, TS, WM int64
	Subtask   int
}

func (s *stampProbe) Open(rc stream.RuntimeContext) error {
	s.sub = rc.IndexOfThisSubtask()
	if rc.KeyedState() != nil {
		return fmt.Errorf("a non-keyed Process got keyed state")
	}
	if rc.OperatorState() == nil {
		return fmt.Errorf("no operator state store")
	}
	return nil
}

func (s *stampProbe) ProcessElement(ctx stream.Context, v int64, out stream.Collector[stamped]) error {
	before := time.Now().UnixMilli()
	pt := ctx.CurrentProcessingTime()
	if after := time.Now().UnixMilli(); pt < before || pt > after {
		return fmt.Errorf("CurrentProcessingTime %d is not the wall clock (between %d and %d)", pt, before, after)
	}
	out.Collect(stamped{V: v, TS: ctx.Timestamp(), WM: ctx.CurrentWatermark(), Subtask: s.sub})
	if v%2 == 0 {
		ctx.Output(s.evens, v)
	} else {
		ctx.Output(s.odds, fmt.Sprintf("odd-%d", v))
	}
	return nil
}

func TestAPIProcessContextAndSideOutputs(t *testing.T) {
	const n = 2000
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			config.SetValue(env.Config(), config.AutoWatermarkInterval, time.Millisecond)
			// Rate-limited so periodic watermarks are emitted while records flow.
			src := datagen.New(n, func(i int64) (int64, error) { return i, nil },
				datagen.WithRateLimit(20_000), datagen.WithTimestamps(func(v int64) int64 { return v * 5 }))
			// One source subtask, so its records are in timestamp order;
			// the Process subtasks each get a round-robin share and the
			// watermarks in between.
			nums := stream.FromSource(env, src, eventtime.ForMonotonousTimestamps[int64](), "nums").SetParallelism(1)
			probe := &stampProbe{evens: stream.NewOutputTag[int64]("evens"), odds: stream.NewOutputTag[string]("odds")}
			main := stream.Process[int64, stamped](nums.Rebalance(), probe)
			mainOut, evensOut, oddsOut := collect.New[stamped](), collect.New[int64](), collect.New[string]()
			stream.SinkTo(main, mainOut)
			stream.SinkTo(stream.SideOutput(main, probe.evens), evensOut)
			stream.SinkTo(stream.SideOutput(main, probe.odds), oddsOut)
			execute(t, env)

			if mainOut.Len() != n {
				t.Fatalf("main output has %d records, want %d", mainOut.Len(), n)
			}
			lastWM := map[int]int64{}
			sawWatermark := false
			for _, r := range mainOut.Records() {
				s := r.Value
				if s.TS != s.V*5 || r.Timestamp != s.V*5 {
					t.Fatalf("record %d: ctx.Timestamp %d, sink timestamp %d, want %d", s.V, s.TS, r.Timestamp, s.V*5)
				}
				if s.WM >= s.TS {
					t.Fatalf("record %d (ts %d) saw watermark %d: a monotonous source's watermark must stay below its next record", s.V, s.TS, s.WM)
				}
				if prev, ok := lastWM[s.Subtask]; ok && s.WM < prev {
					t.Fatalf("subtask %d: watermark went back from %d to %d", s.Subtask, prev, s.WM)
				}
				lastWM[s.Subtask] = s.WM
				if s.WM > eventtime.MinWatermark {
					sawWatermark = true
				}
			}
			if !sawWatermark {
				t.Fatal("no record saw a watermark; periodic emission did not reach CurrentWatermark")
			}
			var wantEvens []int64
			var wantOdds []string
			for v := int64(0); v < n; v++ {
				if v%2 == 0 {
					wantEvens = append(wantEvens, v)
				} else {
					wantOdds = append(wantOdds, fmt.Sprintf("odd-%d", v))
				}
			}
			if !slices.Equal(sorted(evensOut.Values()), wantEvens) {
				t.Fatalf("evens side output: %d records, want %d", evensOut.Len(), len(wantEvens))
			}
			if !slices.Equal(sorted(oddsOut.Values()), sorted(wantOdds)) {
				t.Fatalf("odds side output: %d records, want %d", oddsOut.Len(), len(wantOdds))
			}
			for _, r := range evensOut.Records() {
				if r.Timestamp != r.Value*5 {
					t.Fatalf("side output record %d has timestamp %d, want the input's %d", r.Value, r.Timestamp, r.Value*5)
				}
			}
		})
	}
}

func TestAPISideOutputTypeMismatchFails(t *testing.T) {
	env := quietEnv(2)
	nums := stream.FromSource(env, datagen.Sequence(0, 99), eventtime.NoWatermarks[int64](), "nums")
	tag := stream.NewOutputTag[string]("words")
	main := stream.Process(nums, stream.ProcessFunc[int64, int64](func(ctx stream.Context, v int64, out stream.Collector[int64]) error {
		ctx.Output(tag, v) // an int64 into a string tag
		out.Collect(v)
		return nil
	})).Name("mistyped")
	stream.SinkTo(main, collect.New[int64]())
	stream.SinkTo(stream.SideOutput(main, tag), collect.New[string]())
	err := executeErr(env)
	if err == nil {
		t.Fatal("Execute succeeded although a side output carried the wrong type")
	}
	for _, want := range []string{`"words"`, "int64", "string", "mistyped"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %s", err, want)
		}
	}
}

func TestAPIOutputTag(t *testing.T) {
	if got := stream.NewOutputTag[int]("late").ID(); got != "late" {
		t.Fatalf("ID() = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("NewOutputTag(\"\") did not panic")
		}
	}()
	stream.NewOutputTag[int]("")
}

func TestAPIUnionOfThree(t *testing.T) {
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			a := stream.FromSource(env, datagen.Sequence(0, 999), eventtime.NoWatermarks[int64](), "a")
			b := stream.FromSource(env, datagen.Sequence(5000, 5999), eventtime.NoWatermarks[int64](), "b").SetParallelism(1)
			c := stream.Map(stream.FromSource(env, datagen.Sequence(0, 499), eventtime.NoWatermarks[int64](), "c"),
				func(v int64) (int64, error) { return -v - 1, nil })
			u := stream.Union(a, b, c)
			if u.Env() != env {
				t.Fatal("Union result belongs to another environment")
			}
			out := collect.New[int64]()
			stream.SinkTo(u, out)
			execute(t, env)
			var want []int64
			for v := int64(0); v < 1000; v++ {
				want = append(want, v, v+5000)
				if v < 500 {
					want = append(want, -v-1)
				}
			}
			if !slices.Equal(sorted(out.Values()), sorted(want)) {
				t.Fatalf("union gave %d records, want %d", out.Len(), len(want))
			}
		})
	}
}

func TestAPIUnionAcrossEnvironmentsPanics(t *testing.T) {
	e1, e2 := quietEnv(1), quietEnv(1)
	a := stream.FromSource(e1, datagen.Sequence(0, 1), eventtime.NoWatermarks[int64](), "a")
	b := stream.FromSource(e2, datagen.Sequence(0, 1), eventtime.NoWatermarks[int64](), "b")
	defer func() {
		if recover() == nil {
			t.Fatal("Union of streams from two environments did not panic")
		}
	}()
	stream.Union(a, b)
}

// subtaskTag records, in Open, the subtask it runs in, and stamps records
// with it: as producer or as consumer.
type subtaskTag struct {
	consumer bool
	idx      int
}

type routed struct {
	V                  int64
	Producer, Consumer int
}

func (s *subtaskTag) Open(rc stream.RuntimeContext) error {
	s.idx = rc.IndexOfThisSubtask()
	return nil
}

func (s *subtaskTag) ProcessElement(_ stream.Context, r routed, out stream.Collector[routed]) error {
	if s.consumer {
		r.Consumer = s.idx
	} else {
		r.Producer = s.idx
	}
	out.Collect(r)
	return nil
}

func TestAPIPartitioning(t *testing.T) {
	const n = 1000
	type tc struct {
		name          string
		prodP, consP  int
		partition     func(*stream.DataStream[routed]) *stream.DataStream[routed]
		disableChain  bool
		check         func(t *testing.T, recs []routed)
		wantPartition string
	}
	perConsumer := func(recs []routed) map[int][]int64 {
		m := map[int][]int64{}
		for _, r := range recs {
			m[r.Consumer] = append(m[r.Consumer], r.V)
		}
		return m
	}
	exactlyOnce := func(t *testing.T, recs []routed) {
		t.Helper()
		var vs []int64
		for _, r := range recs {
			vs = append(vs, r.V)
		}
		vs = sorted(vs)
		if len(vs) != n {
			t.Fatalf("%d records arrived, want %d", len(vs), n)
		}
		for i, v := range vs {
			if v != int64(i) {
				t.Fatalf("record %d missing or duplicated", i)
			}
		}
	}
	cases := []tc{
		{
			name: "forward-chained", prodP: 4, consP: 4,
			partition: (*stream.DataStream[routed]).Forward,
			check: func(t *testing.T, recs []routed) {
				exactlyOnce(t, recs)
				for _, r := range recs {
					if r.Producer != r.Consumer {
						t.Fatalf("forward moved record %d from subtask %d to %d", r.V, r.Producer, r.Consumer)
					}
				}
			},
		},
		{
			name: "forward-channel", prodP: 4, consP: 4, disableChain: true, wantPartition: "FORWARD",
			partition: (*stream.DataStream[routed]).Forward,
			check: func(t *testing.T, recs []routed) {
				exactlyOnce(t, recs)
				for _, r := range recs {
					if r.Producer != r.Consumer {
						t.Fatalf("forward moved record %d from subtask %d to %d", r.V, r.Producer, r.Consumer)
					}
				}
			},
		},
		{
			name: "rebalance", prodP: 1, consP: 4, wantPartition: "REBALANCE",
			partition: (*stream.DataStream[routed]).Rebalance,
			check: func(t *testing.T, recs []routed) {
				exactlyOnce(t, recs)
				for c, vs := range perConsumer(recs) {
					if len(vs) != n/4 {
						t.Fatalf("rebalance gave consumer %d %d records, want %d", c, len(vs), n/4)
					}
				}
			},
		},
		{
			name: "rescale-up", prodP: 2, consP: 4, wantPartition: "RESCALE",
			partition: (*stream.DataStream[routed]).Rescale,
			check: func(t *testing.T, recs []routed) {
				exactlyOnce(t, recs)
				count := map[[2]int]int{}
				for _, r := range recs {
					if r.Consumer/2 != r.Producer {
						t.Fatalf("rescale sent record %d from producer %d to consumer %d; producer p feeds consumers 2p and 2p+1", r.V, r.Producer, r.Consumer)
					}
					count[[2]int{r.Producer, r.Consumer}]++
				}
				for prod := 0; prod < 2; prod++ {
					a, b := count[[2]int{prod, 2 * prod}], count[[2]int{prod, 2*prod + 1}]
					if d := a - b; d > 1 || d < -1 {
						t.Fatalf("producer %d split %d/%d between its consumers; round-robin differs by at most 1", prod, a, b)
					}
				}
			},
		},
		{
			name: "rescale-down", prodP: 4, consP: 2, wantPartition: "RESCALE",
			partition: (*stream.DataStream[routed]).Rescale,
			check: func(t *testing.T, recs []routed) {
				exactlyOnce(t, recs)
				for _, r := range recs {
					if r.Consumer != r.Producer/2 {
						t.Fatalf("rescale sent record %d from producer %d to consumer %d, want %d", r.V, r.Producer, r.Consumer, r.Producer/2)
					}
				}
			},
		},
		{
			name: "broadcast", prodP: 1, consP: 4, wantPartition: "BROADCAST",
			partition: (*stream.DataStream[routed]).Broadcast,
			check: func(t *testing.T, recs []routed) {
				if len(recs) != 4*n {
					t.Fatalf("broadcast delivered %d records, want %d", len(recs), 4*n)
				}
				for c, vs := range perConsumer(recs) {
					vs = sorted(vs)
					for i, v := range vs {
						if v != int64(i) {
							t.Fatalf("consumer %d did not get every record exactly once (at %d: %d)", c, i, v)
						}
					}
				}
			},
		},
		{
			name: "shuffle", prodP: 1, consP: 4, wantPartition: "SHUFFLE",
			partition: (*stream.DataStream[routed]).Shuffle,
			check: func(t *testing.T, recs []routed) {
				exactlyOnce(t, recs)
				if got := len(perConsumer(recs)); got != 4 {
					t.Fatalf("shuffle reached %d of 4 consumers with %d records", got, n)
				}
			},
		},
		{
			name: "global", prodP: 4, consP: 4, wantPartition: "GLOBAL",
			partition: (*stream.DataStream[routed]).Global,
			check: func(t *testing.T, recs []routed) {
				exactlyOnce(t, recs)
				for _, r := range recs {
					if r.Consumer != 0 {
						t.Fatalf("global sent record %d to subtask %d", r.V, r.Consumer)
					}
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := quietEnv(c.consP)
			nums := stream.FromSource(env, datagen.Sequence(0, n-1), eventtime.NoWatermarks[int64](), "nums").SetParallelism(c.prodP)
			asRouted := stream.Map(nums, func(v int64) (routed, error) { return routed{V: v}, nil }).SetParallelism(c.prodP)
			produced := stream.Process[routed, routed](asRouted, &subtaskTag{}).Name("producer").SetParallelism(c.prodP)
			consumed := stream.Process[routed, routed](c.partition(produced), &subtaskTag{consumer: true}).Name("consumer").SetParallelism(c.consP)
			if c.disableChain {
				consumed.DisableChaining()
			}
			out := collect.New[routed]()
			stream.SinkTo(consumed, out).SetParallelism(c.consP)
			if c.wantPartition != "" {
				plan, err := env.Plan()
				if err != nil {
					t.Fatal(err)
				}
				if d := plan.Describe(); !strings.Contains(d, c.wantPartition) {
					t.Fatalf("plan does not use %s:\n%s", c.wantPartition, d)
				}
			}
			execute(t, env)
			c.check(t, out.Values())
		})
	}
}

func vertexNames(t *testing.T, env *stream.Environment) []string {
	t.Helper()
	plan, err := env.Plan()
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var names []string
	for _, v := range plan.Vertices {
		names = append(names, fmt.Sprintf("%s (p=%d)", v.Name, v.Parallelism))
	}
	return names
}

func TestAPIChainingPlan(t *testing.T) {
	type tc struct {
		name  string
		setup func(env *stream.Environment, a, b *stream.DataStream[int64], snk *stream.Sink)
		want  []string
	}
	cases := []tc{
		{
			name:  "all chained",
			setup: func(*stream.Environment, *stream.DataStream[int64], *stream.DataStream[int64], *stream.Sink) {},
			want:  []string{"Source: nums -> A -> B -> S (p=4)"},
		},
		{
			name:  "StartNewChain",
			setup: func(_ *stream.Environment, _, b *stream.DataStream[int64], _ *stream.Sink) { b.StartNewChain() },
			want:  []string{"Source: nums -> A (p=4)", "B -> S (p=4)"},
		},
		{
			name:  "DisableChaining",
			setup: func(_ *stream.Environment, _, b *stream.DataStream[int64], _ *stream.Sink) { b.DisableChaining() },
			want:  []string{"Source: nums -> A (p=4)", "B (p=4)", "S (p=4)"},
		},
		{
			name:  "sink DisableChaining",
			setup: func(_ *stream.Environment, _, _ *stream.DataStream[int64], s *stream.Sink) { s.DisableChaining() },
			want:  []string{"Source: nums -> A -> B (p=4)", "S (p=4)"},
		},
		{
			name: "environment DisableOperatorChaining",
			setup: func(env *stream.Environment, _, _ *stream.DataStream[int64], _ *stream.Sink) {
				env.DisableOperatorChaining()
			},
			want: []string{"Source: nums (p=4)", "A (p=4)", "B (p=4)", "S (p=4)"},
		},
		{
			name:  "different parallelism",
			setup: func(_ *stream.Environment, _, b *stream.DataStream[int64], _ *stream.Sink) { b.SetParallelism(2) },
			want:  []string{"Source: nums -> A (p=4)", "B (p=2)", "S (p=4)"},
		},
		{
			name: "sink parallelism follows",
			setup: func(_ *stream.Environment, _, b *stream.DataStream[int64], s *stream.Sink) {
				b.SetParallelism(2)
				s.SetParallelism(2)
			},
			want: []string{"Source: nums -> A (p=4)", "B -> S (p=2)"},
		},
		{
			name:  "explicit Rebalance breaks the chain",
			setup: nil, // built below
			want:  []string{"Source: nums -> A (p=4)", "B -> S (p=4)"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := quietEnv(4)
			nums := stream.FromSource(env, datagen.Sequence(0, 999), eventtime.NoWatermarks[int64](), "nums")
			a := stream.Map(nums, func(v int64) (int64, error) { return v + 1, nil }).Name("A")
			in := a
			if c.setup == nil {
				in = a.Rebalance()
			}
			b := stream.Filter(in, func(v int64) (bool, error) { return v%3 != 0, nil }).Name("B")
			out := collect.New[int64]()
			snk := stream.SinkTo(b, out).Name("S").UID("sink-uid")
			if c.setup != nil {
				c.setup(env, a, b, snk)
			}
			if got := vertexNames(t, env); !slices.Equal(got, c.want) {
				t.Fatalf("vertices %q, want %q", got, c.want)
			}
			// The chaining must not change what the job computes.
			execute(t, env)
			var want []int64
			for v := int64(1); v <= 1000; v++ {
				if v%3 != 0 {
					want = append(want, v)
				}
			}
			if !slices.Equal(sorted(out.Values()), want) {
				t.Fatalf("job gave %d records, want %d", out.Len(), len(want))
			}
		})
	}
}

func TestAPIUIDs(t *testing.T) {
	t.Run("set and derived", func(t *testing.T) {
		env := quietEnv(2)
		nums := stream.FromSource(env, datagen.Sequence(0, 9), eventtime.NoWatermarks[int64](), "nums").UID("src")
		m := stream.Map(nums, func(v int64) (int64, error) { return v, nil }).Name("M")
		stream.SinkTo(m, collect.New[int64]()).UID("out")
		plan, err := env.Plan()
		if err != nil {
			t.Fatal(err)
		}
		uids := map[string]string{}
		for _, n := range plan.Nodes {
			uids[n.Name] = n.UID
		}
		if uids["Source: nums"] != "src" || uids["Sink"] != "out" {
			t.Fatalf("user UIDs not kept: %v", uids)
		}
		if uids["M"] == "" || uids["M"] == "src" || uids["M"] == "out" {
			t.Fatalf("derived UID of M is %q", uids["M"])
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		env := quietEnv(2)
		nums := stream.FromSource(env, datagen.Sequence(0, 9), eventtime.NoWatermarks[int64](), "nums")
		m1 := stream.Map(nums, func(v int64) (int64, error) { return v, nil }).Name("first").UID("same")
		m2 := stream.Map(m1, func(v int64) (int64, error) { return v, nil }).Name("second").UID("same")
		stream.SinkTo(m2, collect.New[int64]())
		_, planErr := env.Plan()
		err := executeErr(env)
		for _, e := range []error{planErr, err} {
			if e == nil {
				t.Fatal("duplicate UIDs were accepted")
			}
			for _, want := range []string{`"same"`, `"first"`, `"second"`} {
				if !strings.Contains(e.Error(), want) {
					t.Fatalf("error %q does not mention %s", e, want)
				}
			}
		}
	})
}

func TestAPIForwardNeedsEqualParallelism(t *testing.T) {
	env := quietEnv(4)
	nums := stream.FromSource(env, datagen.Sequence(0, 9), eventtime.NoWatermarks[int64](), "nums")
	m := stream.Map(nums.Forward(), func(v int64) (int64, error) { return v, nil }).Name("narrow").SetParallelism(2)
	stream.SinkTo(m, collect.New[int64]())
	err := executeErr(env)
	if err == nil {
		t.Fatal("explicit Forward between parallelism 4 and 2 was accepted")
	}
	for _, want := range []string{"forward", `"narrow"`, "parallelism 2", "parallelism 4"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %s", err, want)
		}
	}

	// Without an explicit Forward the same job rebalances and runs.
	env = quietEnv(4)
	nums = stream.FromSource(env, datagen.Sequence(0, 999), eventtime.NoWatermarks[int64](), "nums")
	m = stream.Map(nums, func(v int64) (int64, error) { return v, nil }).SetParallelism(2)
	out := collect.New[int64]()
	stream.SinkTo(m, out).SetParallelism(2)
	execute(t, env)
	if out.Len() != 1000 {
		t.Fatalf("implicit rebalance delivered %d records, want 1000", out.Len())
	}
}

func TestAPIParallelismSettings(t *testing.T) {
	env := quietEnv(3).SetMaxParallelism(64)
	nums := stream.FromSource(env, datagen.Sequence(0, 9), eventtime.NoWatermarks[int64](), "nums")
	m := stream.Map(nums, func(v int64) (int64, error) { return v, nil }).Name("M").SetParallelism(2).SetMaxParallelism(16)
	stream.SinkTo(m, collect.New[int64]())
	plan, err := env.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range plan.Vertices {
		switch {
		case strings.HasPrefix(v.Name, "Source"):
			if v.Parallelism != 3 || v.MaxParallelism != 64 {
				t.Fatalf("%s: parallelism %d/%d, want 3/64", v.Name, v.Parallelism, v.MaxParallelism)
			}
		case strings.HasPrefix(v.Name, "M"):
			if v.Parallelism != 2 || v.MaxParallelism != 16 {
				t.Fatalf("%s: parallelism %d/%d, want 2/16", v.Name, v.Parallelism, v.MaxParallelism)
			}
		}
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `"M"`) {
				t.Fatalf("SetParallelism(0) panic = %v, want one naming the operator", r)
			}
		}()
		m.SetParallelism(0)
	}()

	// Parallelism above the max parallelism is refused with advice.
	env = quietEnv(1)
	nums = stream.FromSource(env, datagen.Sequence(0, 9), eventtime.NoWatermarks[int64](), "nums")
	stream.SinkTo(stream.Map(nums, func(v int64) (int64, error) { return v, nil }).Name("wide").SetParallelism(8).SetMaxParallelism(4), collect.New[int64]())
	if err := executeErr(env); err == nil || !strings.Contains(err.Error(), `"wide"`) || !strings.Contains(err.Error(), "max parallelism") {
		t.Fatalf("Execute = %v, want an error about the max parallelism of \"wide\"", err)
	}
}

// Plan is a dry run: it must not freeze what it resolved into the graph, so
// configuration changed afterwards still applies to Execute.
func TestAPIPlanHasNoSideEffects(t *testing.T) {
	env := quietEnv(1)
	nums := stream.FromSource(env, datagen.Sequence(0, 999), eventtime.NoWatermarks[int64](), "nums")
	out := collect.New[int64]()
	opened := newAcks()
	stream.SinkTo(stream.Process[int64, int64](nums, &openCount[int64]{acks: opened}), out)
	if _, err := env.Plan(); err != nil {
		t.Fatal(err)
	}
	env.SetParallelism(4)
	plan, err := env.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Vertices[0].Parallelism; got != 4 {
		t.Fatalf("Plan() kept the first plan's resolved parallelism: after SetParallelism(4) the plan has parallelism %d", got)
	}
	execute(t, env)
	checkOpened(t, opened, 4)
	if out.Len() != 1000 {
		t.Fatalf("%d records, want 1000", out.Len())
	}
}

func TestAPIExecuteTwiceNeedsNewGraph(t *testing.T) {
	env := quietEnv(1)
	nums := stream.FromSource(env, datagen.Sequence(0, 9), eventtime.NoWatermarks[int64](), "nums")
	stream.SinkTo(nums, collect.New[int64]())
	execute(t, env)
	if err := executeErr(env); err == nil || !strings.Contains(err.Error(), "no operators") {
		t.Fatalf("second Execute = %v, want an error saying the graph is empty", err)
	}
}

// Naming or configuring a derived stream (a side output, a re-partitioned
// stream) must not silently reconfigure the operator that produces it: the
// setter panics, and the producer keeps its settings.
func TestAPIDerivedStreamSettersDoNotRenameProducer(t *testing.T) {
	env := quietEnv(2)
	nums := stream.FromSource(env, datagen.Sequence(0, 9), eventtime.NoWatermarks[int64](), "nums")
	tag := stream.NewOutputTag[int64]("side")
	main := stream.Process(nums, stream.ProcessFunc[int64, int64](func(ctx stream.Context, v int64, out stream.Collector[int64]) error {
		ctx.Output(tag, v)
		out.Collect(v)
		return nil
	})).Name("splitter")
	side := stream.SideOutput(main, tag)
	setters := map[string]func(){
		"side Name":             func() { side.Name("side-stream") },
		"side UID":              func() { side.UID("side-uid") },
		"side SetParallelism":   func() { side.SetParallelism(1) },
		"rebalance Name":        func() { main.Rebalance().Name("rebalanced") },
		"rebalance Parallelism": func() { main.Rebalance().SetParallelism(1) },
		"broadcast chaining":    func() { main.Broadcast().DisableChaining() },
	}
	for name, set := range setters {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), `"splitter"`) {
					t.Errorf("%s: recovered %v, want a panic naming the producer", name, r)
				}
			}()
			set()
		}()
	}
	stream.SinkTo(main, collect.New[int64]())
	stream.SinkTo(side, collect.New[int64]())
	plan, err := env.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range plan.Nodes {
		if n.Name == "side-stream" || n.Name == "rebalanced" || n.UID == "side-uid" {
			t.Fatalf("a derived stream's setter reconfigured its producer: node %q uid %q", n.Name, n.UID)
		}
		if n.Name == "splitter" && n.Parallelism != 2 {
			t.Fatalf("splitter parallelism %d, want the default 2", n.Parallelism)
		}
	}
}

func TestAPIUnionWithSideOutputAndItself(t *testing.T) {
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			nums := stream.FromSource(env, datagen.Sequence(0, 999), eventtime.NoWatermarks[int64](), "nums")
			tag := stream.NewOutputTag[int64]("negated")
			main := stream.Process(nums, stream.ProcessFunc[int64, int64](func(ctx stream.Context, v int64, out stream.Collector[int64]) error {
				ctx.Output(tag, -v-1)
				out.Collect(v)
				return nil
			}))
			both := stream.Union(main, stream.SideOutput(main, tag), main)
			out := collect.New[int64]()
			stream.SinkTo(both, out)
			execute(t, env)
			var want []int64
			for v := int64(0); v < 1000; v++ {
				want = append(want, v, v, -v-1) // main twice, side output once
			}
			if !slices.Equal(sorted(out.Values()), sorted(want)) {
				t.Fatalf("union gave %d records, want %d", out.Len(), len(want))
			}
		})
	}
}

func TestAPIInvalidMaxParallelismIsAPlanError(t *testing.T) {
	env := quietEnv(2)
	nums := stream.FromSource(env, datagen.Sequence(0, 99), eventtime.NoWatermarks[int64](), "nums")
	red := stream.Reduce(stream.KeyBy(nums, func(v int64) int64 { return v % 5 }), func(a, b int64) (int64, error) { return a + b, nil }).
		Name("huge").SetMaxParallelism(1 << 16)
	stream.SinkTo(red, collect.New[int64]())
	_, planErr := env.Plan()
	if planErr == nil {
		t.Fatal("SetMaxParallelism(65536), above the 32768 limit, passed Plan")
	}
	if !strings.Contains(planErr.Error(), `"huge"`) {
		t.Fatalf("plan error %q does not name the operator", planErr)
	}
}
