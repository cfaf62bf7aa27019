package generator

// Person is a new user of the auction site.
type Person struct {
	ID           int64
	Name         string
	EmailAddress string
	CreditCard   string
	City         string
	State        string
	DateTime     int64 // epoch milliseconds
	Extra        string
}

// Auction is an item put up for sale.
type Auction struct {
	ID          int64
	ItemName    string
	Description string
	InitialBid  int64
	Reserve     int64
	DateTime    int64 // epoch milliseconds
	Expires     int64 // epoch milliseconds
	Seller      int64 // a Person.ID
	Category    int64
	Extra       string
}

// Bid is an offer on an auction, price in cents.
type Bid struct {
	Auction  int64 // an Auction.ID
	Bidder   int64 // a Person.ID
	Price    int64
	Channel  string
	URL      string
	DateTime int64 // epoch milliseconds
	Extra    string
}

// Event holds exactly one of a person, an auction or a bid.
type Event struct {
	Person  *Person
	Auction *Auction
	Bid     *Bid
}

// Kind says which field of an Event is set.
type Kind uint8

// The kinds of event. KindNone is the zero Event only.
const (
	KindNone Kind = iota
	KindPerson
	KindAuction
	KindBid
)

func (k Kind) String() string {
	switch k {
	case KindPerson:
		return "person"
	case KindAuction:
		return "auction"
	case KindBid:
		return "bid"
	default:
		return "none"
	}
}

// Kind reports which of the event's fields is set.
func (e Event) Kind() Kind {
	switch {
	case e.Person != nil:
		return KindPerson
	case e.Auction != nil:
		return KindAuction
	case e.Bid != nil:
		return KindBid
	default:
		return KindNone
	}
}

// DateTime is the event time of whichever record the event holds, or 0
// for the zero Event.
func (e Event) DateTime() int64 {
	switch {
	case e.Person != nil:
		return e.Person.DateTime
	case e.Auction != nil:
		return e.Auction.DateTime
	case e.Bid != nil:
		return e.Bid.DateTime
	default:
		return 0
	}
}
