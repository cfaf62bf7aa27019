package source

// OperatorEvent is a message between a source operator in a subtask and its
// coordinator. In-process events travel as Go values, so an event must not
// hold pointers into reader or enumerator internals: the coordinator copies
// splits (through the source's SplitCodec) before it sends them.
type OperatorEvent any

// ReaderRegistrationEvent announces a reader to the coordinator once its
// operator is open; only registered readers get splits.
type ReaderRegistrationEvent struct {
	Subtask  int
	Location string
}

// RequestSplitEvent is a reader asking for work (SendSplitRequest).
type RequestSplitEvent struct {
	Subtask  int
	Hostname string
}

// AddSplitsEvent hands splits to a reader. Splits holds values of the
// source's split type S.
type AddSplitsEvent struct {
	Splits []any
}

// NoMoreSplitsEvent tells a reader it will get no more splits.
type NoMoreSplitsEvent struct{}

// SourceEventWrapper carries a custom SourceEvent in either direction.
type SourceEventWrapper struct {
	Event SourceEvent
}

// CoordinatorGateway is how a source operator reaches its coordinator (in
// the same process now, task -> JobManager later). SendToCoordinator must not
// block on the coordinator's work and must deliver the events of one subtask
// in the order they were sent.
type CoordinatorGateway interface {
	SendToCoordinator(subtask int, ev OperatorEvent)
}

// SubtaskGateway delivers an event into a subtask's mailbox, where the task
// hands it to Operator.HandleOperatorEvent. It must preserve order per
// subtask and not block on the subtask's work; an error means the event was
// not delivered (the subtask is gone).
type SubtaskGateway func(subtask int, ev OperatorEvent) error
