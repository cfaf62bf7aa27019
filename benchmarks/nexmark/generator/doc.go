// Package generator makes the Nexmark benchmark's event stream: people
// registering, auctions opening and bids arriving, as the nexmark-flink
// generator (github.com/nexmark/nexmark, package
// com.github.nexmark.flink.generator, itself a port of Beam's) makes it.
// It has no dependency on the engine, so the weir source and the
// hand-written baseline consume exactly the same events.
//
// # Where each rule comes from
//
// Config and DefaultConfig mirror NexmarkConfiguration's fields and
// defaults: 10,000 events/s, one generator, proportions 1/3/46, average
// sizes 200/500/100 bytes, hot ratios 2 (auctions), 4 (sellers), 4
// (bidders), 100 in-flight auctions, 1000 active people, out-of-order
// group size 1. FirstPersonID, FirstAuctionID and FirstCategoryID are
// GeneratorConfig's constants.
//
// From GeneratorConfig and NexmarkGenerator:
//   - the inter-event delay is 10^6/FirstEventRate*NumEventGenerators µs,
//     and the event with number n has time BaseTime + trunc(n*delay)/1000
//     ms (timestampForEvent);
//   - out-of-order groups: the event at position n gets id
//     (n/k)*k + (n*953)%k for group size k (nextAdjustedEventNumber); its
//     time is that of its id, and the watermark is the time of the group's
//     first position (nextEventNumberForWatermark);
//   - the kind is decided by id % (sum of proportions): below the person
//     proportion a person, then auctions, then bids (0, 1-3 and 4-49 by
//     default).
//
// From the model generators:
//   - person and auction ids count the people and auctions before the id
//     in its proportion cycle (lastBase0PersonId, lastBase0AuctionId),
//     offset by the first ids;
//   - sellers are the first person of the current batch of 100 with
//     probability 1-1/HotSellersRatio, else one of the last
//     NumActivePeople people or up to 10 not yet created
//     (nextBase0PersonId); categories are uniform over 10..14; auctions
//     last 1 + uniform[0, 2h) ms, where h is the time until
//     NumInFlightAuctions more auctions exist (AuctionGenerator);
//   - bids are for the first auction of the current batch of 100 with
//     probability 1-1/HotAuctionRatio, else one of the last
//     NumInFlightAuctions auctions or up to 10 not yet created; bidders are
//     the second person of the current batch of 100 with probability
//     1-1/HotBiddersRatio, else as for sellers; the channel is one of
//     Google, Facebook, Baidu, Apple with probability 1/2, else
//     "channel-<c>" for c uniform below 10,000, whose URL carries
//     "&channel_id=<abs(bit-reversed c)>" nine times in ten (BidGenerator);
//   - prices are round(10^(6u)*100) cents for uniform u, so log-uniform
//     from $1 to $10^6 (PriceGenerator); a reserve is the initial bid plus
//     another price;
//   - names, cities, states and credit cards follow PersonGenerator's
//     lists and formats; item names, descriptions, e-mail parts and URL
//     segments are StringsGenerator.nextString strings (3 to max-1
//     characters, one in 13 a space or '_', trimmed);
//   - Extra pads each record so that its idealised size (8 bytes per
//     number plus string lengths, as the Java code counts it) averages the
//     configured size, with a length uniform within ±20% of the gap
//     (nextExtra).
//
// # Randomness, and how this generator differs
//
// The Java generator draws from an unseeded java.util.Random per split,
// so no two runs agree and results depend on the parallelism. Here every
// random choice of an event comes from a splitmix64 stream seeded by
// (seed, event id), so an event is a pure function of the config, the
// seed and its number: a run is repeatable, and any division of
// [0, N) into spans yields the same events. The streams are not Java's,
// so individual values differ from any Java run; the distributions are
// the same, except:
//   - uniform draws use multiply-shift rather than Java's rejection
//     sampling (bias below 2^-50), and Java's skewed nextLong for bounds
//     over 2^31 is plain uniform here;
//   - Extra is a substring of a seed-derived pool of random letters
//     rather than fresh letters, so events share memory instead of
//     allocating; Java's nextExactString also yields some characters
//     below 'a' (from negative ints), ours only a-z;
//   - the hot and per-channel URLs are drawn from the seed once, where
//     Java draws them from unseeded randoms per process;
//   - a bidder id is offset by FirstPersonID once, as in Beam; nexmark-flink
//     adds it twice (nexmark/nexmark issue #30), which puts every bidder
//     1000 ids above the people who exist;
//   - one serial timeline: Flink's source splits give each reader its own
//     timeline starting at the base time; here event n always has the
//     time of position n, and NumEventGenerators only scales the delay;
//   - the base time is fixed (DefaultBaseTime) rather than the wall
//     clock, and the extended-bid mode and the rate shapes (NextEventRate
//     is accepted and, as in Java's GeneratorConfig, unused) are not
//     implemented.
package generator
