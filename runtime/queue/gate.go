package queue

// Gate is a subtask's view of its input channels: it polls them round-robin
// and signals when any has data. Only the owning subtask polls.
type Gate struct {
	channels []*Queue
	// blocked channels are skipped by Poll (checkpoint alignment).
	blocked  []bool
	nBlocked int
	next     int
	ready    chan struct{}
}

// NewGate attaches the channels to a new gate. A queue belongs to one gate.
func NewGate(channels []*Queue) *Gate {
	g := &Gate{channels: channels, blocked: make([]bool, len(channels)), ready: make(chan struct{}, 1)}
	for _, q := range channels {
		q.notify = g.signal
	}
	return g
}

func (g *Gate) signal() {
	select {
	case g.ready <- struct{}{}:
	default:
	}
}

// Channel returns input channel c.
func (g *Gate) Channel(c int) *Queue { return g.channels[c] }

// NumChannels is the number of input channels.
func (g *Gate) NumChannels() int { return len(g.channels) }

// Poll returns the next element of some channel, and that channel's index,
// or ok=false when every channel is empty. Channels take turns so one busy
// channel cannot starve the others.
func (g *Gate) Poll() (x any, channel int, ok bool) {
	n := len(g.channels)
	for i := 0; i < n; i++ {
		c := (g.next + i) % n
		if g.nBlocked > 0 && g.blocked[c] {
			continue
		}
		if x, ok := g.channels[c].Poll(); ok {
			g.next = (c + 1) % n
			return x, c, true
		}
	}
	return nil, 0, false
}

// Ready fires after a channel went from empty to non-empty. Spurious
// wake-ups are possible; Poll again after it fires.
func (g *Gate) Ready() <-chan struct{} { return g.ready }

// Block stops Poll from taking elements of channel c until Unblock: an
// aligned checkpoint holds back a channel whose barrier arrived until the
// barriers of the other channels arrive.
func (g *Gate) Block(c int) {
	if !g.blocked[c] {
		g.blocked[c] = true
		g.nBlocked++
	}
}

// UnblockAll releases every blocked channel and signals readiness, as
// blocked channels may hold data.
func (g *Gate) UnblockAll() {
	if g.nBlocked == 0 {
		return
	}
	clear(g.blocked)
	g.nBlocked = 0
	g.signal()
}
