package eventtime

// Multiplexer combines the watermarks of several outputs (one per source
// split) into one: the minimum over outputs that are not idle. When every
// output is idle the combined output is idle. Not safe for concurrent use.
type Multiplexer struct {
	out      WatermarkOutput
	outputs  map[string]*splitOutput
	combined int64
	idle     bool
}

// NewMultiplexer forwards the combined watermark to out.
func NewMultiplexer(out WatermarkOutput) *Multiplexer {
	return &Multiplexer{out: out, outputs: map[string]*splitOutput{}, combined: MinWatermark}
}

type splitOutput struct {
	m         *Multiplexer
	watermark int64
	idle      bool
}

// Register adds an output for id (a split) and returns it; registering an
// existing id returns the existing output.
func (m *Multiplexer) Register(id string) WatermarkOutput {
	if o, ok := m.outputs[id]; ok {
		return o
	}
	o := &splitOutput{m: m, watermark: MinWatermark}
	m.outputs[id] = o
	m.update()
	return o
}

// Unregister removes id's output (its split finished) and recomputes.
func (m *Multiplexer) Unregister(id string) {
	if _, ok := m.outputs[id]; ok {
		delete(m.outputs, id)
		m.update()
	}
}

// Len is the number of registered outputs.
func (m *Multiplexer) Len() int { return len(m.outputs) }

func (o *splitOutput) EmitWatermark(ts int64) {
	if o.idle {
		o.idle = false
	}
	if ts > o.watermark {
		o.watermark = ts
	}
	o.m.update()
}

func (o *splitOutput) MarkIdle() {
	if !o.idle {
		o.idle = true
		o.m.update()
	}
}

func (o *splitOutput) MarkActive() {
	if o.idle {
		o.idle = false
		o.m.update()
	}
}

func (m *Multiplexer) update() {
	if len(m.outputs) == 0 {
		return
	}
	lowest, allIdle := MaxWatermark, true
	for _, o := range m.outputs {
		if o.idle {
			continue
		}
		allIdle = false
		lowest = min(lowest, o.watermark)
	}
	if allIdle {
		if !m.idle {
			m.idle = true
			m.out.MarkIdle()
		}
		return
	}
	if m.idle {
		m.idle = false
		m.out.MarkActive()
	}
	if lowest > m.combined {
		m.combined = lowest
		m.out.EmitWatermark(lowest)
	}
}
