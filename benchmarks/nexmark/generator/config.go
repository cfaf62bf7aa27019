package generator

import (
	"errors"
	"fmt"
)

// Id bases. The Java generator starts ids away from zero so that queries
// on small event counts still find matches; the values are Nexmark's.
const (
	FirstPersonID   int64 = 1000
	FirstAuctionID  int64 = 1000
	FirstCategoryID int64 = 10
)

// DefaultSeed is the seed used when the caller does not choose one, so
// that two runs of the benchmark see the same events.
const DefaultSeed uint64 = 0x6e65786d61726b // "nexmark"

// DefaultBaseTime is the event time of event 0, in epoch milliseconds
// (2015-07-15T00:00:00Z, Beam's Nexmark base time). The Java Flink suite
// uses the wall clock at start-up, which makes runs unrepeatable.
const DefaultBaseTime int64 = 1436918400000

// Config holds the parameters of the generator, with Nexmark's names and
// meanings (NexmarkConfiguration in nexmark-flink). The zero value is not
// valid; start from DefaultConfig.
type Config struct {
	// FirstEventRate is the overall event rate in events per second. It
	// sets the spacing of event timestamps, not how fast events are made.
	FirstEventRate int
	// NextEventRate is Nexmark's second rate of its square rate shape.
	// The Java generator ignores it (its GeneratorConfig keeps a single
	// inter-event delay) and so does this one; it is kept so that
	// configurations written for Nexmark carry over unchanged.
	NextEventRate int
	// NumEventGenerators scales the inter-event delay: with N generators
	// each timeline advances N times slower, as in Nexmark.
	NumEventGenerators int

	// Event mix: out of every PersonProportion+AuctionProportion+
	// BidProportion consecutive event ids, the first PersonProportion are
	// people, the next AuctionProportion auctions, the rest bids.
	PersonProportion  int
	AuctionProportion int
	BidProportion     int

	// Average idealised sizes in bytes, reached by padding Extra.
	AvgPersonByteSize  int
	AvgAuctionByteSize int
	AvgBidByteSize     int

	// Hot ratios: an auction has a hot seller with probability
	// 1-1/HotSellersRatio, a bid a hot auction with 1-1/HotAuctionRatio
	// and a hot bidder with 1-1/HotBiddersRatio.
	HotAuctionRatio int
	HotSellersRatio int
	HotBiddersRatio int

	// NumInFlightAuctions is how many recent auctions bids choose from and
	// sets the average auction length.
	NumInFlightAuctions int
	// NumActivePeople is how many recent people sellers and bidders are
	// chosen from.
	NumActivePeople int

	// OutOfOrderGroupSize is the number of consecutive events emitted in a
	// fixed pseudo-random order; 1 means in order.
	OutOfOrderGroupSize int64

	// BaseTime is the event time of event 0, in epoch milliseconds.
	BaseTime int64
}

// DefaultConfig returns Nexmark's defaults (NexmarkConfiguration), with
// DefaultBaseTime instead of the wall clock.
func DefaultConfig() Config {
	return Config{
		FirstEventRate:      10_000,
		NextEventRate:       10_000,
		NumEventGenerators:  1,
		PersonProportion:    1,
		AuctionProportion:   3,
		BidProportion:       46,
		AvgPersonByteSize:   200,
		AvgAuctionByteSize:  500,
		AvgBidByteSize:      100,
		HotAuctionRatio:     2,
		HotSellersRatio:     4,
		HotBiddersRatio:     4,
		NumInFlightAuctions: 100,
		NumActivePeople:     1000,
		OutOfOrderGroupSize: 1,
		BaseTime:            DefaultBaseTime,
	}
}

// Validate reports every field that cannot drive the generator.
func (c Config) Validate() error {
	var errs []error
	positive := func(name string, v int64) {
		if v < 1 {
			errs = append(errs, fmt.Errorf("%s is %d; it must be at least 1", name, v))
		}
	}
	positive("FirstEventRate", int64(c.FirstEventRate))
	positive("NumEventGenerators", int64(c.NumEventGenerators))
	// Person and auction ids are derived from their position in the
	// proportion cycle, which needs at least one of each per cycle.
	positive("PersonProportion", int64(c.PersonProportion))
	positive("AuctionProportion", int64(c.AuctionProportion))
	if c.BidProportion < 0 {
		errs = append(errs, fmt.Errorf("BidProportion is %d; it must not be negative", c.BidProportion))
	}
	for _, s := range []struct {
		name string
		v    int
	}{{"AvgPersonByteSize", c.AvgPersonByteSize}, {"AvgAuctionByteSize", c.AvgAuctionByteSize}, {"AvgBidByteSize", c.AvgBidByteSize}} {
		if s.v < 0 {
			errs = append(errs, fmt.Errorf("%s is %d; it must not be negative", s.name, s.v))
		}
	}
	positive("HotAuctionRatio", int64(c.HotAuctionRatio))
	positive("HotSellersRatio", int64(c.HotSellersRatio))
	positive("HotBiddersRatio", int64(c.HotBiddersRatio))
	positive("NumInFlightAuctions", int64(c.NumInFlightAuctions))
	positive("NumActivePeople", int64(c.NumActivePeople))
	positive("OutOfOrderGroupSize", c.OutOfOrderGroupSize)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("generator: invalid config: %w", err)
	}
	return nil
}

func (c Config) totalProportion() int64 {
	return int64(c.PersonProportion + c.AuctionProportion + c.BidProportion)
}
