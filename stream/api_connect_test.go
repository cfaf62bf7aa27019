package stream_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/state"
	"github.com/weirstream/weir/stream"
)

// Two-input operators: Connect with CoMap / CoFlatMap / CoProcess,
// ConnectKeyed with KeyedCoProcess, and broadcast state.

func TestAPICoMapCoFlatMap(t *testing.T) {
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			nums := stream.FromSource(env, datagen.Sequence(0, 999), eventtime.NoWatermarks[int64](), "nums")
			words := stream.FromSource(env, datagen.New(500, func(i int64) (string, error) { return fmt.Sprintf("w%d", i), nil }), eventtime.NoWatermarks[string](), "words").SetParallelism(1)

			mapped := stream.CoMap(stream.Connect(nums, words),
				func(v int64) (string, error) { return fmt.Sprintf("n%d", v), nil },
				func(w string) (string, error) { return strings.ToUpper(w), nil })
			flat := stream.CoFlatMap(stream.Connect(nums, words),
				func(v int64, out stream.Collector[int64]) error {
					if v%2 == 0 {
						out.Collect(v)
						out.Collect(v)
					}
					return nil
				},
				func(w string, out stream.Collector[int64]) error {
					out.Collect(int64(-len(w)))
					return nil
				})
			mOut, fOut := collect.New[string](), collect.New[int64]()
			stream.SinkTo(mapped, mOut)
			stream.SinkTo(flat, fOut)

			var names []string
			plan, err := env.Plan()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range plan.Vertices {
				names = append(names, v.Name)
			}
			if s := strings.Join(names, "|"); !strings.Contains(s, "CoMap") || !strings.Contains(s, "CoFlatMap") {
				t.Fatalf("plan vertices %q lack CoMap / CoFlatMap", names)
			}
			execute(t, env)

			var wantM []string
			var wantF []int64
			for v := int64(0); v < 1000; v++ {
				wantM = append(wantM, fmt.Sprintf("n%d", v))
				if v%2 == 0 {
					wantF = append(wantF, v, v)
				}
			}
			for i := 0; i < 500; i++ {
				w := fmt.Sprintf("w%d", i)
				wantM = append(wantM, strings.ToUpper(w))
				wantF = append(wantF, int64(-len(w)))
			}
			sameMultiset(t, "CoMap", mOut.Values(), wantM)
			sameMultiset(t, "CoFlatMap", fOut.Values(), wantF)
		})
	}
}

// coProbe reports, for each record of either input, which input it came on
// and its timestamp.
type coProbe struct{ sub int }

type coSeen struct {
	Input   int
	V       string
	TS      int64
	Subtask int
}

func (c *coProbe) Open(rc stream.RuntimeContext) error { c.sub = rc.IndexOfThisSubtask(); return nil }

func (c *coProbe) ProcessElement1(ctx stream.Context, v int64, out stream.Collector[coSeen]) error {
	out.Collect(coSeen{Input: 1, V: fmt.Sprint(v), TS: ctx.Timestamp(), Subtask: c.sub})
	return nil
}

func (c *coProbe) ProcessElement2(ctx stream.Context, v string, out stream.Collector[coSeen]) error {
	out.Collect(coSeen{Input: 2, V: v, TS: ctx.Timestamp(), Subtask: c.sub})
	return nil
}

func TestAPICoProcess(t *testing.T) {
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			nums := stream.FromSource(env, datagen.New(800, func(i int64) (int64, error) { return i, nil },
				datagen.WithTimestamps(func(v int64) int64 { return 1000 + v })), eventtime.ForMonotonousTimestamps[int64](), "nums")
			words := stream.FromSource(env, datagen.New(300, func(i int64) (string, error) { return fmt.Sprintf("w%d", i), nil }), eventtime.NoWatermarks[string](), "words")
			seen := stream.CoProcess[int64, string, coSeen](stream.Connect(nums, words), &coProbe{})
			out := collect.New[coSeen]()
			stream.SinkTo(seen, out)
			execute(t, env)
			var want []coSeen
			for i := int64(0); i < 800; i++ {
				want = append(want, coSeen{Input: 1, V: fmt.Sprint(i), TS: 1000 + i})
			}
			for i := 0; i < 300; i++ {
				want = append(want, coSeen{Input: 2, V: fmt.Sprintf("w%d", i), TS: eventtime.NoTimestamp})
			}
			var got []coSeen
			subtasks := map[int]bool{}
			for _, r := range out.Records() {
				if r.Subtask != r.Value.Subtask {
					t.Fatalf("CoProcess subtask %d wrote through sink subtask %d; they are chained", r.Value.Subtask, r.Subtask)
				}
				subtasks[r.Subtask] = true
				v := r.Value
				v.Subtask = 0
				got = append(got, v)
			}
			sameMultiset(t, "CoProcess", got, want)
			for sub := range subtasks {
				if sub >= p {
					t.Fatalf("CoProcess output from subtask %d at parallelism %d", sub, p)
				}
			}
		})
	}
}

func TestAPIConnectAcrossEnvironmentsPanics(t *testing.T) {
	a := stream.FromSource(quietEnv(1), datagen.Sequence(0, 1), eventtime.NoWatermarks[int64](), "a")
	b := stream.FromSource(quietEnv(1), datagen.Sequence(0, 1), eventtime.NoWatermarks[int64](), "b")
	defer func() {
		if recover() == nil {
			t.Fatal("connecting streams of two environments did not panic")
		}
	}()
	stream.CoMap(stream.Connect(a, b),
		func(v int64) (int64, error) { return v, nil },
		func(v int64) (int64, error) { return v, nil })
}

// A keyed join of orders with customers: an order waits in keyed state for
// its customer; orders whose customer never comes are reported by an
// event-time timer at the end of input.
type order struct {
	ID       int64
	Customer string
	Amount   int64
}

type customer struct {
	ID, Name string
}

type joined struct {
	Order int64
	Name  string // "" for unmatched
}

type orderJoin struct {
	name    state.ValueState[string]
	pending state.ListState[order]
}

func (j *orderJoin) Open(rc stream.RuntimeContext) error {
	var err error
	if j.name, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[string]{Name: "name"}); err != nil {
		return err
	}
	j.pending, err = state.GetListState(rc.KeyedState(), state.ListDescriptor[order]{Name: "pending"})
	return err
}

func (j *orderJoin) ProcessElement1(ctx stream.KeyedContext[string], o order, out stream.Collector[joined]) error {
	if ctx.CurrentKey() != o.Customer {
		return fmt.Errorf("order of %s processed under key %s", o.Customer, ctx.CurrentKey())
	}
	name, ok, err := j.name.Value()
	if err != nil {
		return err
	}
	if ok {
		out.Collect(joined{Order: o.ID, Name: name})
		return nil
	}
	ctx.TimerService().RegisterEventTimeTimer(ctx.Timestamp())
	return j.pending.Add(o)
}

func (j *orderJoin) ProcessElement2(ctx stream.KeyedContext[string], c customer, out stream.Collector[joined]) error {
	if err := j.name.Update(c.Name); err != nil {
		return err
	}
	waiting, err := j.pending.Get()
	if err != nil {
		return err
	}
	for _, o := range waiting {
		out.Collect(joined{Order: o.ID, Name: c.Name})
	}
	j.pending.Clear()
	return nil
}

func (j *orderJoin) OnTimer(ctx stream.OnTimerContext[string], _ int64, out stream.Collector[joined]) error {
	waiting, err := j.pending.Get()
	if err != nil {
		return err
	}
	for _, o := range waiting {
		out.Collect(joined{Order: o.ID})
	}
	j.pending.Clear()
	return nil
}

func TestAPIKeyedCoProcessJoin(t *testing.T) {
	const nOrders, nCustomers = 4000, 40
	genOrder := func(i int64) (order, error) {
		return order{ID: i, Customer: fmt.Sprintf("c%d", mix(i)%50), Amount: i % 13}, nil
	}
	genCustomer := func(i int64) (customer, error) {
		return customer{ID: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("name-%d", i)}, nil
	}
	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			orders := stream.FromSource(env, datagen.New(nOrders, genOrder, datagen.WithTimestamps(func(o order) int64 { return o.ID })),
				eventtime.ForMonotonousTimestamps[order](), "orders")
			customers := stream.FromSource(env, datagen.New(nCustomers, genCustomer), eventtime.NoWatermarks[customer](), "customers")
			cs := stream.ConnectKeyed(
				stream.KeyBy(orders, func(o order) string { return o.Customer }),
				stream.KeyBy(customers, func(c customer) string { return c.ID }))
			res := stream.KeyedCoProcess[order, customer, string, joined](cs, &orderJoin{}).Name("join")
			out := collect.New[joined]()
			stream.SinkTo(res, out)
			execute(t, env)

			names := map[string]string{}
			for i := int64(0); i < nCustomers; i++ {
				c, _ := genCustomer(i)
				names[c.ID] = c.Name
			}
			var want []joined
			for i := int64(0); i < nOrders; i++ {
				o, _ := genOrder(i)
				want = append(want, joined{Order: o.ID, Name: names[o.Customer]})
			}
			sameMultiset(t, "join", out.Values(), want)
		})
	}
}

// ruleApplier scales records by a per-category factor kept in broadcast
// state; a rule with Factor 0 deletes the category.
type rule struct {
	Category string
	Factor   int64
}

type measure struct {
	Category string
	V        int64
}

type ruleApplier struct {
	acks  *acks
	rules state.MapState[string, int64]
}

var rulesDesc = state.MapDescriptor[string, int64]{Name: "rules"}

func (r *ruleApplier) Open(rc stream.RuntimeContext) error {
	var err error
	r.rules, err = state.GetBroadcastState(rc.OperatorState(), rulesDesc)
	return err
}

func (r *ruleApplier) ProcessElement(_ stream.Context, m measure, out stream.Collector[measure]) error {
	defer r.acks.add("measure")
	f, ok, err := r.rules.Get(m.Category)
	if err != nil || !ok {
		return err
	}
	out.Collect(measure{Category: m.Category, V: m.V * f})
	return nil
}

func (r *ruleApplier) ProcessBroadcastElement(_ stream.Context, ru rule, _ stream.Collector[measure]) error {
	defer r.acks.add("rule")
	if ru.Factor == 0 {
		return r.rules.Remove(ru.Category)
	}
	return r.rules.Put(ru.Category, ru.Factor)
}

// broadcastPhases are the inputs of the broadcast tests: rules, then
// records, then changed rules, then records again.
func broadcastPhases() (rules1, rules2 []rule, data1, data2 []measure) {
	rules1 = []rule{{"a", 2}, {"b", 3}, {"c", 5}}
	rules2 = []rule{{"a", 7}, {"b", 0}, {"d", 11}}
	for i := int64(0); i < 200; i++ {
		cat := string(rune('a' + mix(i)%5)) // a..e; e never has a rule
		data1 = append(data1, measure{Category: cat, V: i})
		data2 = append(data2, measure{Category: cat, V: i + 1000})
	}
	return
}

func applyRules(rules map[string]int64, data []measure) []measure {
	var out []measure
	for _, m := range data {
		if f, ok := rules[m.Category]; ok {
			out = append(out, measure{Category: m.Category, V: m.V * f})
		}
	}
	return out
}

func updateRules(rules map[string]int64, rs []rule) {
	for _, r := range rs {
		if r.Factor == 0 {
			delete(rules, r.Category)
		} else {
			rules[r.Category] = r.Factor
		}
	}
}

func TestAPIBroadcastConnect(t *testing.T) {
	rules1, rules2, data1, data2 := broadcastPhases()
	model := map[string]int64{}
	updateRules(model, rules1)
	want := applyRules(model, data1)
	updateRules(model, rules2)
	want = append(want, applyRules(model, data2)...)

	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			ruleFeed, dataFeed := newFeed[rule](), newFeed[measure]()
			rules := stream.FromSource(env, newFeedSource(ruleFeed), eventtime.NoWatermarks[rule](), "rules").SetParallelism(1)
			data := stream.FromSource(env, newFeedSource(dataFeed), eventtime.NoWatermarks[measure](), "data").SetParallelism(1)
			ack := newAcks()
			res := stream.BroadcastConnect[measure, rule, measure](data.Rebalance(), stream.NewBroadcastStream(rules), &ruleApplier{acks: ack})
			out := collect.New[measure]()
			stream.SinkTo(res, out)
			wait := startJob(t, env)

			ruleFeed.push(rules1...)
			ack.waitFor(t, "rule", len(rules1)*p) // every subtask got every rule
			dataFeed.push(data1...)
			ack.waitFor(t, "measure", len(data1))
			ruleFeed.push(rules2...)
			ack.waitFor(t, "rule", (len(rules1)+len(rules2))*p)
			dataFeed.push(data2...)
			ruleFeed.close()
			dataFeed.close()
			if err := wait(); err != nil {
				t.Fatal(err)
			}
			sameMultiset(t, "broadcast rules applied", out.Values(), want)
		})
	}
}

// keyedRules keeps a running total per key, scaled by the broadcast factor
// "*"; the broadcast rule "reset" reports and clears every key's total
// through ApplyToKeyedState.
type keyedRules struct {
	acks  *acks
	rules state.MapState[string, int64]
	total state.ValueState[int64]
}

type total struct {
	Key   string
	Total int64
	Reset bool
}

func (k *keyedRules) Open(rc stream.RuntimeContext) error {
	var err error
	if k.rules, err = state.GetBroadcastState(rc.OperatorState(), rulesDesc); err != nil {
		return err
	}
	k.total, err = state.GetValueState(rc.KeyedState(), state.ValueDescriptor[int64]{Name: "total"})
	return err
}

func (k *keyedRules) ProcessElement(ctx stream.KeyedContext[string], m measure, out stream.Collector[total]) error {
	defer k.acks.add("measure")
	f, ok, err := k.rules.Get("*")
	if err != nil {
		return err
	}
	if !ok {
		f = 1
	}
	t, _, err := k.total.Value()
	if err != nil {
		return err
	}
	t += m.V * f
	if err := k.total.Update(t); err != nil {
		return err
	}
	out.Collect(total{Key: ctx.CurrentKey(), Total: t})
	return nil
}

func (k *keyedRules) ProcessBroadcastElement(ctx stream.KeyedBroadcastContext, r rule, out stream.Collector[total]) error {
	defer k.acks.add("rule")
	if r.Category != "reset" {
		return k.rules.Put(r.Category, r.Factor)
	}
	return ctx.ApplyToKeyedState("total", func(key any) error {
		t, ok, err := k.total.Value()
		if err != nil || !ok {
			return err
		}
		out.Collect(total{Key: key.(string), Total: t, Reset: true})
		k.total.Clear()
		return nil
	})
}

func TestAPIKeyedBroadcastConnect(t *testing.T) {
	_, _, data1, data2 := broadcastPhases()
	// Oracle: phase 1 at factor 1, then factor 3, then a reset reporting
	// every total, then phase 2 from zero at factor 3.
	var want []total
	totals := map[string]int64{}
	run := func(data []measure, f int64) {
		for _, m := range data {
			totals[m.Category] += m.V * f
			want = append(want, total{Key: m.Category, Total: totals[m.Category]})
		}
	}
	run(data1, 1)
	run(data1, 3)
	for k, v := range totals {
		want = append(want, total{Key: k, Total: v, Reset: true})
	}
	totals = map[string]int64{}
	run(data2, 3)

	for _, p := range parallelisms {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			env := quietEnv(p)
			ruleFeed, dataFeed := newFeed[rule](), newFeed[measure]()
			rules := stream.FromSource(env, newFeedSource(ruleFeed), eventtime.NoWatermarks[rule](), "rules").SetParallelism(1)
			data := stream.FromSource(env, newFeedSource(dataFeed), eventtime.NoWatermarks[measure](), "data").SetParallelism(1)
			ack := newAcks()
			keyed := stream.KeyBy(data, func(m measure) string { return m.Category })
			res := stream.KeyedBroadcastConnect[measure, string, rule, total](keyed, stream.NewBroadcastStream(rules), &keyedRules{acks: ack})
			out := collect.New[total]()
			stream.SinkTo(res, out)
			wait := startJob(t, env)

			dataFeed.push(data1...)
			ack.waitFor(t, "measure", len(data1))
			ruleFeed.push(rule{Category: "*", Factor: 3})
			ack.waitFor(t, "rule", p)
			dataFeed.push(data1...)
			ack.waitFor(t, "measure", 2*len(data1))
			ruleFeed.push(rule{Category: "reset"})
			ack.waitFor(t, "rule", 2*p)
			dataFeed.push(data2...)
			ruleFeed.close()
			dataFeed.close()
			if err := wait(); err != nil {
				t.Fatal(err)
			}
			sameMultiset(t, "keyed broadcast", out.Values(), want)
		})
	}
}
