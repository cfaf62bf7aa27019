package queries

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/weirstream/weir/benchmarks/nexmark/generator"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/stream"
)

// handBase is a window-aligned event time for hand-written cases.
const handBase = generator.DefaultBaseTime

// handRunQuery runs query name's weir job over events (sorted by time) at
// parallelism p and returns its rows sorted.
func handRunQuery(t *testing.T, name string, events []generator.Event, p int) []string {
	t.Helper()
	q, ok := Lookup(name)
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	env := stream.NewEnvironment(nil).SetParallelism(p).SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	src := datagen.New(int64(len(events)), func(i int64) (generator.Event, error) { return events[i], nil },
		datagen.WithTimestamps(generator.Event.DateTime))
	in := stream.FromSource(env, src, eventtime.ForMonotonousTimestamps[generator.Event](), "hand")
	out := collect.New[string]()
	stream.SinkTo(q.Build(in), out)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.Execute(ctx, name); err != nil {
		t.Fatalf("%s at parallelism %d: %v", name, p, err)
	}
	rows := out.Values()
	slices.Sort(rows)
	return rows
}

// handCheck runs name over events at parallelism 1 and 2 and compares the
// rows with want.
func handCheck(t *testing.T, name string, events []generator.Event, want []string) {
	t.Helper()
	want = slices.Clone(want)
	slices.Sort(want)
	for _, p := range []int{1, 2} {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			if got := handRunQuery(t, name, events, p); !slices.Equal(got, want) {
				t.Fatalf("%s rows:\n got %q\nwant %q", name, got, want)
			}
		})
	}
}

func handBid(auction, bidder, price, at int64, extra string) generator.Event {
	return generator.Event{Bid: &generator.Bid{Auction: auction, Bidder: bidder, Price: price, DateTime: handBase + at, Extra: extra}}
}

func ms(at int64) string { return strconv.FormatInt(handBase+at, 10) }

func TestQ7MatchesBaseline(t *testing.T) {
	q, ok := Lookup("q7")
	if !ok {
		t.Fatal("q7 is not registered")
	}
	// 120,000 events span 12 s, so bids fall on both sides of a window
	// boundary and in a window the end of input closes.
	compareWithBaseline(t, q, 120_000, 1, 2)
}

func TestQ7HandWritten(t *testing.T) {
	events := []generator.Event{
		handBid(1, 10, 5, 1000, "a"),
		handBid(2, 20, 9, 2000, "b"),
		handBid(3, 30, 9, 3000, "c"),
		// Made at the end of the first window: it belongs to the second,
		// and q7.sql's inclusive BETWEEN also joins it to the first's
		// maximum, which it equals.
		handBid(4, 40, 9, 10_000, "d"),
		// Also at the boundary, but below both maxima.
		handBid(5, 50, 3, 10_000, "e"),
		handBid(6, 60, 4, 15_000, "f"),
		// A window of its own, closed by the end of input.
		handBid(7, 70, 1, 25_000, "g"),
	}
	want := []string{
		"2,20,9," + ms(2000) + ",b",
		"3,30,9," + ms(3000) + ",c",
		"4,40,9," + ms(10_000) + ",d", // highest of the first window (edge)
		"4,40,9," + ms(10_000) + ",d", // highest of the second window
		"7,70,1," + ms(25_000) + ",g",
	}
	handCheck(t, "q7", events, want)
}

func TestQ7BaselineCoversEveryWindow(t *testing.T) {
	// Over the first 120,000 events the baseline must emit at least one
	// row per window (every window has a highest bid), here 2 windows.
	g := generator.MustNew(generator.DefaultConfig(), generator.DefaultSeed)
	q, _ := Lookup("q7")
	windows := map[int64]bool{}
	q.Baseline(g, 120_000, func(row string) {
		var a, b, p, ts int64
		if _, err := fmt.Sscanf(row, "%d,%d,%d,%d,", &a, &b, &p, &ts); err != nil {
			t.Fatalf("row %q: %v", row, err)
		}
		windows[(ts-handBase)/10_000] = true
	})
	if len(windows) != 2 {
		t.Fatalf("baseline rows cover windows %v, want the 2 windows of 12 s", windows)
	}
}
