package generator

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Constants of the Java model generators that NexmarkConfiguration does
// not expose.
const (
	personIDLead     = 10 // people ids a bid or auction may reach beyond the last person
	auctionIDLead    = 10 // auction ids a bid may reach beyond the last auction
	hotSellerBatch   = 100
	hotAuctionBatch  = 100
	hotBidderBatch   = 100
	numCategories    = 5
	hotChannelsRatio = 2
	numChannels      = 10_000
	minStringLength  = 3
)

var (
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	hotChannel = [...]string{"Google", "Facebook", "Baidu", "Apple"}
)

// Generator makes Nexmark events as a pure function of its config, its
// seed and the event number. It is immutable after New and safe for
// concurrent use; splits of one run share one Generator or build equal
// ones from the same config and seed.
type Generator struct {
	cfg   Config
	seed  uint64
	total int64
	// interEventDelayUs is GeneratorConfig's delay between events of one
	// timeline, in microseconds.
	interEventDelayUs float64

	// Strings the Java generator draws from fixed sets are built once so
	// that events share them instead of allocating.
	names       []string // every first+" "+last name, indexed first*len(lastNames)+last
	hotURLs     [len(hotChannel)]string
	channels    []string
	channelURLs []string
	// pad holds random letters; Extra is a substring of it.
	pad string
}

// New returns a generator for cfg whose random choices all derive from
// seed.
func New(cfg Config, seed uint64) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{
		cfg:               cfg,
		seed:              seed,
		total:             cfg.totalProportion(),
		interEventDelayUs: 1_000_000.0 / float64(cfg.FirstEventRate) * float64(cfg.NumEventGenerators),
	}
	g.names = make([]string, 0, len(firstNames)*len(lastNames))
	for _, f := range firstNames {
		for _, l := range lastNames {
			g.names = append(g.names, f+" "+l)
		}
	}
	for i := range g.hotURLs {
		r := newRNG(seed, domainHotURL, int64(i))
		g.hotURLs[i] = baseURL(&r)
	}
	g.channels = make([]string, numChannels)
	g.channelURLs = make([]string, numChannels)
	for c := range numChannels {
		r := newRNG(seed, domainChannel, int64(c))
		g.channels[c] = "channel-" + strconv.Itoa(c)
		u := baseURL(&r)
		if r.intn(10) > 0 {
			// Java appends Math.abs(Integer.reverse(c)); abs of
			// MinInt32 stays negative there and here alike.
			v := int32(bits.Reverse32(uint32(c)))
			if v < 0 {
				v = -v
			}
			u += "&channel_id=" + strconv.Itoa(int(v))
		}
		g.channelURLs[c] = u
	}
	maxExtra := 0
	for _, avg := range []int{cfg.AvgPersonByteSize, cfg.AvgAuctionByteSize, cfg.AvgBidByteSize} {
		maxExtra = max(maxExtra, avg+avg/5+2)
	}
	padLen := max(1<<16, 4*maxExtra)
	r := newRNG(seed, domainPool, 0)
	pad := make([]byte, padLen)
	for i := range pad {
		pad[i] = byte('a' + r.intn(26))
	}
	g.pad = string(pad)
	return g, nil
}

// MustNew is New for configs known to be valid, such as DefaultConfig.
func MustNew(cfg Config, seed uint64) *Generator {
	g, err := New(cfg, seed)
	if err != nil {
		panic(err)
	}
	return g
}

// Config returns the generator's configuration.
func (g *Generator) Config() Config { return g.cfg }

// Seed returns the seed all random choices derive from.
func (g *Generator) Seed() uint64 { return g.seed }

// EventID returns the id of the event emitted at position n: n itself, or
// within an out-of-order group a fixed permutation of the group
// (GeneratorConfig.nextAdjustedEventNumber). The id decides the event's
// kind, ids, contents and timestamp.
func (g *Generator) EventID(n int64) int64 {
	k := g.cfg.OutOfOrderGroupSize
	if k == 1 {
		return n
	}
	return (n/k)*k + (n*953)%k
}

// TimestampForEvent is the event time, in epoch milliseconds, of the
// event with id (or number) n (GeneratorConfig.timestampForEvent).
func (g *Generator) TimestampForEvent(n int64) int64 {
	return g.cfg.BaseTime + int64(float64(n)*g.interEventDelayUs)/1000
}

// Watermark is the least event time of the event at position n and all
// later ones: the time of the first event of n's out-of-order group.
func (g *Generator) Watermark(n int64) int64 {
	k := g.cfg.OutOfOrderGroupSize
	return g.TimestampForEvent((n / k) * k)
}

// KindOf returns the kind of the event with id id.
func (g *Generator) KindOf(id int64) Kind {
	rem := id % g.total
	switch {
	case rem < int64(g.cfg.PersonProportion):
		return KindPerson
	case rem < int64(g.cfg.PersonProportion+g.cfg.AuctionProportion):
		return KindAuction
	default:
		return KindBid
	}
}

// NextEvent returns the event emitted at position n (n >= 0) and its
// event time in epoch milliseconds.
func (g *Generator) NextEvent(n int64) (Event, int64) {
	return g.event(n, nil)
}

// event builds the event at position n. A bid is written to *bid when bid
// is not nil, so that callers can place bids in memory of their choosing.
func (g *Generator) event(n int64, bid *Bid) (Event, int64) {
	if n < 0 {
		panic(fmt.Sprintf("generator: event number %d is negative", n))
	}
	id := g.EventID(n)
	ts := g.TimestampForEvent(id)
	r := newRNG(g.seed, domainEvent, id)
	switch g.KindOf(id) {
	case KindPerson:
		return Event{Person: g.person(id, ts, &r)}, ts
	case KindAuction:
		return Event{Auction: g.auction(id, ts, &r)}, ts
	default:
		if bid == nil {
			bid = new(Bid)
		}
		g.bid(id, ts, &r, bid)
		return Event{Bid: bid}, ts
	}
}

// LastPersonID is the id of the newest person at event id id, offset by
// FirstPersonID (PersonGenerator.lastBase0PersonId + FIRST_PERSON_ID).
func (g *Generator) LastPersonID(id int64) int64 {
	return g.lastBase0PersonID(id) + FirstPersonID
}

// LastAuctionID is the id of the newest auction at event id id, offset
// by FirstAuctionID; FirstAuctionID-1 before the first auction.
func (g *Generator) LastAuctionID(id int64) int64 {
	return g.lastBase0AuctionID(id) + FirstAuctionID
}

func (g *Generator) lastBase0PersonID(id int64) int64 {
	epoch, offset := id/g.total, id%g.total
	if p := int64(g.cfg.PersonProportion); offset >= p {
		offset = p - 1
	}
	return epoch*int64(g.cfg.PersonProportion) + offset
}

func (g *Generator) lastBase0AuctionID(id int64) int64 {
	epoch, offset := id/g.total, id%g.total
	p, a := int64(g.cfg.PersonProportion), int64(g.cfg.AuctionProportion)
	switch {
	case offset < p:
		epoch--
		offset = a - 1
	case offset >= p+a:
		offset = a - 1
	default:
		offset -= p
	}
	return epoch*a + offset
}

// nextBase0PersonID picks one of the active people or a few not yet
// created, so that auction and person events sometimes appear swapped.
func (g *Generator) nextBase0PersonID(id int64, r *rng) int64 {
	numPeople := g.lastBase0PersonID(id) + 1
	active := min(numPeople, int64(g.cfg.NumActivePeople))
	return numPeople - active + r.intn(active+personIDLead)
}

// nextBase0AuctionID picks one of the auctions likely still in flight or
// a few not yet created.
func (g *Generator) nextBase0AuctionID(id int64, r *rng) int64 {
	last := g.lastBase0AuctionID(id)
	lo := max(last-int64(g.cfg.NumInFlightAuctions), 0)
	return lo + r.intn(last-lo+1+auctionIDLead)
}

func (g *Generator) person(id, ts int64, r *rng) *Person {
	p := &Person{
		ID:       g.lastBase0PersonID(id) + FirstPersonID,
		Name:     g.names[r.intn(int64(len(firstNames)))*int64(len(lastNames))+r.intn(int64(len(lastNames)))],
		DateTime: ts,
	}
	p.EmailAddress = email(r)
	p.CreditCard = creditCard(r)
	p.City = usCities[r.intn(int64(len(usCities)))]
	p.State = usStates[r.intn(int64(len(usStates)))]
	size := 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State)
	p.Extra = g.extra(r, size, g.cfg.AvgPersonByteSize)
	return p
}

func (g *Generator) auction(id, ts int64, r *rng) *Auction {
	a := &Auction{ID: g.lastBase0AuctionID(id) + FirstAuctionID, DateTime: ts}
	if r.intn(int64(g.cfg.HotSellersRatio)) > 0 {
		a.Seller = (g.lastBase0PersonID(id) / hotSellerBatch) * hotSellerBatch
	} else {
		a.Seller = g.nextBase0PersonID(id, r)
	}
	a.Seller += FirstPersonID
	a.Category = FirstCategoryID + r.intn(numCategories)
	a.InitialBid = price(r)
	a.Expires = ts + g.auctionLengthMs(id, ts, r)
	a.ItemName = randomString(r, 20, ' ')
	a.Description = randomString(r, 100, ' ')
	a.Reserve = a.InitialBid + price(r)
	size := 8 + len(a.ItemName) + len(a.Description) + 8 + 8 + 8 + 8 + 8
	a.Extra = g.extra(r, size, g.cfg.AvgAuctionByteSize)
	return a
}

// auctionLengthMs draws a length averaging the time until
// NumInFlightAuctions more auctions have been created.
func (g *Generator) auctionLengthMs(id, ts int64, r *rng) int64 {
	eventsForAuctions := int64(g.cfg.NumInFlightAuctions) * g.total / int64(g.cfg.AuctionProportion)
	horizon := g.TimestampForEvent(id+eventsForAuctions) - ts
	return 1 + r.intn(max(horizon*2, 1))
}

func (g *Generator) bid(id, ts int64, r *rng, b *Bid) {
	*b = Bid{DateTime: ts}
	if r.intn(int64(g.cfg.HotAuctionRatio)) > 0 {
		b.Auction = (g.lastBase0AuctionID(id) / hotAuctionBatch) * hotAuctionBatch
	} else {
		b.Auction = g.nextBase0AuctionID(id, r)
	}
	b.Auction += FirstAuctionID
	if r.intn(int64(g.cfg.HotBiddersRatio)) > 0 {
		// The second person of the batch, so hot bidders are not hot sellers.
		b.Bidder = (g.lastBase0PersonID(id)/hotBidderBatch)*hotBidderBatch + 1
	} else {
		b.Bidder = g.nextBase0PersonID(id, r)
	}
	b.Bidder += FirstPersonID
	b.Price = price(r)
	if r.intn(hotChannelsRatio) > 0 {
		i := r.intn(int64(len(hotChannel)))
		b.Channel, b.URL = hotChannel[i], g.hotURLs[i]
	} else {
		c := r.intn(numChannels)
		b.Channel, b.URL = g.channels[c], g.channelURLs[c]
	}
	b.Extra = g.extra(r, 8+8+8+8, g.cfg.AvgBidByteSize)
}

// price is log-uniform between 1 and 10^6 dollars, in cents
// (PriceGenerator.nextPrice: round(10^(6u) * 100)). Exp of the scaled
// exponent equals Pow(10, 6u) to within an ulp and costs half as much.
func price(r *rng) int64 {
	return int64(math.Round(math.Exp(r.float64()*(6*math.Ln10)) * 100))
}

// randomString has 3 to maxLength-1 characters, each a letter or, one
// time in 13, special; Java trims it, which only matters for spaces.
func randomString(r *rng, maxLength int, special byte) string {
	n := minStringLength + int(r.intn(int64(maxLength-minStringLength)))
	var buf [128]byte
	b := buf[:n]
	// Each character is one draw from 13*26 outcomes: the first 26 give
	// special (probability 1/13), the rest a uniform letter. One 64-bit
	// word feeds several draws by multiply-shift, keeping the low half
	// as the next word's entropy.
	var x uint64
	left := 0
	for i := range b {
		if left == 0 {
			x, left = r.next(), 6
		}
		hi, lo := bits.Mul64(x, 13*26)
		x = lo
		left--
		if hi < 26 {
			b[i] = special
		} else {
			b[i] = byte('a' + hi%26)
		}
	}
	return string(trimSpace(b))
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

func email(r *rng) string {
	return randomString(r, 7, ' ') + "@" + randomString(r, 5, ' ') + ".com"
}

// creditCard is four space-separated groups of four digits.
func creditCard(r *rng) string {
	var b [19]byte
	for g := range 4 {
		v := r.intn(10000)
		o := g * 5
		if g > 0 {
			b[o-1] = ' '
		}
		for i := 3; i >= 0; i-- {
			b[o+i] = byte('0' + v%10)
			v /= 10
		}
	}
	return string(b[:])
}

// baseURL is a nexmark.com item URL with three random path segments.
func baseURL(r *rng) string {
	return "https://www.nexmark.com/" + randomString(r, 5, '_') + "/" +
		randomString(r, 5, '_') + "/" + randomString(r, 5, '_') + "/item.htm?query=1"
}

// extra pads a record whose fields take current bytes so that records
// average desired bytes: its length is uniform within ±20% of the gap
// (StringsGenerator.nextExtra). The letters come from the shared pad.
func (g *Generator) extra(r *rng, current, desired int) string {
	if current > desired {
		return ""
	}
	gap := desired - current
	delta := int(math.Round(float64(gap) * 0.2))
	n := gap - delta
	if delta != 0 {
		n += int(r.intn(int64(2 * delta)))
	}
	off := int(r.intn(int64(len(g.pad) - n + 1)))
	return g.pad[off : off+n]
}
