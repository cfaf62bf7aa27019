package generator

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func mustRange(t testing.TB, g *Generator, from, to int64) *Iterator {
	t.Helper()
	it, err := g.Range(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func collect(t testing.TB, g *Generator, from, to int64) ([]Event, []int64) {
	t.Helper()
	it := mustRange(t, g, from, to)
	var evs []Event
	var tss []int64
	for {
		e, ts, ok := it.Next()
		if !ok {
			return evs, tss
		}
		evs = append(evs, e)
		tss = append(tss, ts)
	}
}

func TestDeterministic(t *testing.T) {
	const n = 5000
	a, ta := collect(t, MustNew(DefaultConfig(), 7), 0, n)
	b, tb := collect(t, MustNew(DefaultConfig(), 7), 0, n)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(ta, tb) {
		t.Fatal("two generators with the same config and seed produced different events")
	}
	c, _ := collect(t, MustNew(DefaultConfig(), 8), 0, n)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds produced identical events")
	}
}

func TestSplitsYieldTheSameEvents(t *testing.T) {
	const n = 3000
	for _, oo := range []int64{1, 7, 1000} {
		cfg := DefaultConfig()
		cfg.OutOfOrderGroupSize = oo
		g := MustNew(cfg, DefaultSeed)
		whole, wholeTS := collect(t, g, 0, n)
		for _, parts := range []int{1, 2, 3, 7, 64} {
			spans, err := SplitSpan(0, n, parts)
			if err != nil {
				t.Fatal(err)
			}
			var got []Event
			var gotTS []int64
			for _, s := range spans {
				// Alternate Next and Fill so both paths are compared.
				if s.From%2 == 0 {
					e, ts := collect(t, g, s.From, s.To)
					got, gotTS = append(got, e...), append(gotTS, ts...)
					continue
				}
				it := mustRange(t, g, s.From, s.To)
				evs, tss := make([]Event, 13), make([]int64, 13)
				for k := it.Fill(evs, tss); k > 0; k = it.Fill(evs, tss) {
					got, gotTS = append(got, evs[:k]...), append(gotTS, tss[:k]...)
				}
			}
			if !reflect.DeepEqual(whole, got) || !reflect.DeepEqual(wholeTS, gotTS) {
				t.Fatalf("out-of-order %d, %d splits: events differ from one range", oo, parts)
			}
		}
	}
}

func TestSplitSpan(t *testing.T) {
	tests := []struct {
		from, to int64
		n        int
		want     []Span
		wantErr  bool
	}{
		{0, 10, 3, []Span{{0, 4}, {4, 7}, {7, 10}}, false},
		{5, 7, 4, []Span{{5, 6}, {6, 7}, {7, 7}, {7, 7}}, false},
		{0, 0, 1, []Span{{0, 0}}, false},
		{0, 10, 0, nil, true},
		{-1, 10, 2, nil, true},
		{10, 5, 2, nil, true},
	}
	for _, tt := range tests {
		got, err := SplitSpan(tt.from, tt.to, tt.n)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitSpan(%d, %d, %d) = %v, %v; want %v (error %v)", tt.from, tt.to, tt.n, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestEventMixPerEpoch(t *testing.T) {
	g := MustNew(DefaultConfig(), DefaultSeed)
	evs, _ := collect(t, g, 0, 50*40)
	for epoch := 0; epoch < 40; epoch++ {
		counts := map[Kind]int{}
		for i, e := range evs[epoch*50 : epoch*50+50] {
			counts[e.Kind()]++
			want := KindBid
			switch {
			case i == 0:
				want = KindPerson
			case i <= 3:
				want = KindAuction
			}
			if e.Kind() != want {
				t.Fatalf("event %d is a %v, want a %v", epoch*50+i, e.Kind(), want)
			}
		}
		if counts[KindPerson] != 1 || counts[KindAuction] != 3 || counts[KindBid] != 46 {
			t.Fatalf("epoch %d mix %v, want 1/3/46", epoch, counts)
		}
	}
}

func TestIDsAndReferences(t *testing.T) {
	const n = 200_000
	g := MustNew(DefaultConfig(), DefaultSeed)
	it := mustRange(t, g, 0, n)
	nextPerson, nextAuction := FirstPersonID, FirstAuctionID
	hotBids, hotBidders, hotSellers := 0, 0, 0
	bids, auctions := 0, 0
	for {
		e, _, ok := it.Next()
		if !ok {
			break
		}
		id := it.Position() - 1
		lastPerson, lastAuction := g.LastPersonID(id), g.LastAuctionID(id)
		switch e.Kind() {
		case KindPerson:
			if e.Person.ID != nextPerson {
				t.Fatalf("event %d: person id %d, want %d", id, e.Person.ID, nextPerson)
			}
			nextPerson++
		case KindAuction:
			a := e.Auction
			if a.ID != nextAuction {
				t.Fatalf("event %d: auction id %d, want %d", id, a.ID, nextAuction)
			}
			nextAuction++
			auctions++
			if (a.Seller-FirstPersonID)%hotSellerBatch == 0 {
				hotSellers++
			}
			if a.Seller < FirstPersonID || a.Seller > lastPerson+personIDLead {
				t.Fatalf("event %d: seller %d outside [%d, %d]", id, a.Seller, FirstPersonID, lastPerson+personIDLead)
			}
			if a.Category < FirstCategoryID || a.Category >= FirstCategoryID+numCategories {
				t.Fatalf("event %d: category %d", id, a.Category)
			}
			if a.Expires <= a.DateTime || a.Reserve < a.InitialBid {
				t.Fatalf("event %d: auction %+v expires before it starts or reserve below initial bid", id, a)
			}
		case KindBid:
			b := e.Bid
			bids++
			if b.Auction < FirstAuctionID || b.Auction > lastAuction+auctionIDLead ||
				b.Auction < lastAuction-int64(g.cfg.NumInFlightAuctions)-hotAuctionBatch {
				t.Fatalf("event %d: bid auction %d not near the last auction %d", id, b.Auction, lastAuction)
			}
			if b.Bidder < FirstPersonID || b.Bidder > lastPerson+personIDLead {
				t.Fatalf("event %d: bidder %d outside [%d, %d]", id, b.Bidder, FirstPersonID, lastPerson+personIDLead)
			}
			if (b.Auction-FirstAuctionID)%hotAuctionBatch == 0 {
				hotBids++
			}
			if (b.Bidder-FirstPersonID)%hotBidderBatch == 1 {
				hotBidders++
			}
			if b.Channel == "" || !strings.HasPrefix(b.URL, "https://www.nexmark.com/") {
				t.Fatalf("event %d: channel %q url %q", id, b.Channel, b.URL)
			}
		default:
			t.Fatalf("event %d has no record", id)
		}
	}
	// Hot auctions take 1-1/HotAuctionRatio = half of the bids, plus the
	// few random picks that land on a batch start.
	for _, c := range []struct {
		what     string
		hot, all int
		want     float64
	}{
		{"bids for hot auctions", hotBids, bids, 0.5},
		{"bids by hot bidders", hotBidders, bids, 0.75},
		{"auctions by hot sellers", hotSellers, auctions, 0.75},
	} {
		if frac := float64(c.hot) / float64(c.all); frac < c.want-0.02 || frac > c.want+0.04 {
			t.Errorf("%.3f of %s, want about %.2f", frac, c.what, c.want)
		}
	}
}

func TestPrices(t *testing.T) {
	g := MustNew(DefaultConfig(), DefaultSeed)
	it := mustRange(t, g, 0, 100_000)
	var logSum float64
	var count int
	for {
		e, _, ok := it.Next()
		if !ok {
			break
		}
		if e.Bid == nil {
			continue
		}
		p := e.Bid.Price
		if p < 100 || p > 100_000_000 {
			t.Fatalf("price %d outside [100, 10^8] cents", p)
		}
		logSum += math.Log10(float64(p) / 100)
		count++
	}
	// log10(dollars) is uniform on [0, 6): mean 3.
	if mean := logSum / float64(count); math.Abs(mean-3) > 0.05 {
		t.Errorf("mean log10 price %.3f, want about 3", mean)
	}
}

func TestAverageSizes(t *testing.T) {
	g := MustNew(DefaultConfig(), DefaultSeed)
	it := mustRange(t, g, 0, 100_000)
	sum := map[Kind]int{}
	num := map[Kind]int{}
	for {
		e, _, ok := it.Next()
		if !ok {
			break
		}
		var size int
		switch e.Kind() {
		case KindPerson:
			p := e.Person
			size = 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State) + len(p.Extra)
			if len(p.CreditCard) != 19 || !strings.Contains(p.EmailAddress, "@") || !strings.HasSuffix(p.EmailAddress, ".com") {
				t.Fatalf("person %+v", p)
			}
		case KindAuction:
			a := e.Auction
			size = 8 + len(a.ItemName) + len(a.Description) + 40 + len(a.Extra)
		case KindBid:
			size = 32 + len(e.Bid.Extra)
		}
		sum[e.Kind()] += size
		num[e.Kind()]++
	}
	for _, c := range []struct {
		k    Kind
		want int
	}{{KindPerson, 200}, {KindAuction, 500}, {KindBid, 100}} {
		avg := float64(sum[c.k]) / float64(num[c.k])
		if math.Abs(avg-float64(c.want)) > float64(c.want)*0.03 {
			t.Errorf("average %v size %.1f, want about %d", c.k, avg, c.want)
		}
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		rate, gens int
		wantStepUs float64
	}{
		{10_000, 1, 100},
		{10_000, 4, 400},
		{1_000_000, 1, 1},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		cfg.FirstEventRate, cfg.NumEventGenerators = tt.rate, tt.gens
		g := MustNew(cfg, DefaultSeed)
		_, tss := collect(t, g, 0, 20_000)
		for i, ts := range tss {
			want := DefaultBaseTime + int64(float64(i)*tt.wantStepUs)/1000
			if ts != want {
				t.Fatalf("rate %d gens %d: event %d at %d, want %d", tt.rate, tt.gens, i, ts, want)
			}
			if i > 0 && ts < tss[i-1] {
				t.Fatalf("timestamps go backwards at %d", i)
			}
			if g.Watermark(int64(i)) != ts {
				t.Fatalf("watermark %d at event %d, want the event time %d", g.Watermark(int64(i)), i, ts)
			}
		}
	}
}

func TestOutOfOrderGroups(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OutOfOrderGroupSize = 10
	g := MustNew(cfg, DefaultSeed)
	for group := int64(0); group < 100; group++ {
		seen := map[int64]bool{}
		for n := group * 10; n < group*10+10; n++ {
			id := g.EventID(n)
			if id/10 != group || seen[id] {
				t.Fatalf("event %d has id %d: not a permutation of its group", n, id)
			}
			seen[id] = true
			_, ts := g.NextEvent(n)
			if ts != g.TimestampForEvent(id) || ts < g.Watermark(n) {
				t.Fatalf("event %d: time %d, watermark %d", n, ts, g.Watermark(n))
			}
		}
	}
}

func TestChannelURLs(t *testing.T) {
	g := MustNew(DefaultConfig(), DefaultSeed)
	// Channel 1 reverses to MinInt32, whose absolute value overflows in
	// Java as in Go.
	if u := g.channelURLs[1]; strings.Contains(u, "channel_id") && !strings.HasSuffix(u, "channel_id=-2147483648") {
		t.Errorf("channel 1 url %q", u)
	}
	withID := 0
	for c, u := range g.channelURLs {
		if g.channels[c] == "" || !strings.HasSuffix(strings.SplitN(u, "&", 2)[0], "/item.htm?query=1") {
			t.Fatalf("channel %d: %q %q", c, g.channels[c], u)
		}
		if strings.Contains(u, "&channel_id=") {
			withID++
		}
	}
	if withID < 8800 || withID > 9200 {
		t.Errorf("%d of %d channel urls carry an id, want about 90%%", withID, numChannels)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"default", func(*Config) {}, ""},
		{"zero rate", func(c *Config) { c.FirstEventRate = 0 }, "FirstEventRate"},
		{"no people", func(c *Config) { c.PersonProportion = 0 }, "PersonProportion"},
		{"negative bids", func(c *Config) { c.BidProportion = -1 }, "BidProportion"},
		{"negative size", func(c *Config) { c.AvgBidByteSize = -1 }, "AvgBidByteSize"},
		{"zero group", func(c *Config) { c.OutOfOrderGroupSize = 0 }, "OutOfOrderGroupSize"},
		{"zero hot ratio", func(c *Config) { c.HotBiddersRatio = 0 }, "HotBiddersRatio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.modify(&cfg)
			_, err := New(cfg, 1)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "generator: ") {
				t.Fatalf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestRangeRejectsBadBounds(t *testing.T) {
	g := MustNew(DefaultConfig(), 1)
	if _, err := g.Range(-1, 5); err == nil {
		t.Error("negative start accepted")
	}
	if _, err := g.Range(5, 4); err == nil {
		t.Error("reversed range accepted")
	}
}

func BenchmarkGenerate(b *testing.B) {
	g := MustNew(DefaultConfig(), DefaultSeed)
	evs, tss := make([]Event, 1024), make([]int64, 1024)
	it := mustRange(b, g, 0, math.MaxInt64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += len(evs) {
		it.Fill(evs, tss)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkNextEvent(b *testing.B) {
	g := MustNew(DefaultConfig(), DefaultSeed)
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		g.NextEvent(n)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
