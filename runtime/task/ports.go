package task

import (
	"fmt"

	"github.com/weirstream/weir/runtime/operator"
)

// Port builds the typed plumbing for one record type T: writers, chained
// outputs and input processors. The graph stores a Port per node output and
// input, so the runtime wires typed code without reflection per record.
type Port interface {
	// TypeName is T's name, for error messages.
	TypeName() string
	newWriter(spec WriterSpec) writer
	// newChained returns an operator.Output[T] feeding op (a OneInput[T]).
	newChained(op operator.Operator, idx int, tr *tracker) (any, error)
	// newFanOut returns an operator.Output[T] over outs (each an Output[T]).
	newFanOut(outs []any, side *sideRouter) any
	// newSide wraps an operator.Output[T] to receive side-output values.
	newSide(out any, tag string) sideTarget
	// newInput returns the processor feeding batches of T into op's input
	// (1 or 2).
	newInput(op operator.Operator, input int) (inputProcessor, error)
	// encodeRecords and replay record and restore in-flight records of
	// unaligned checkpoints (inflight.go).
	encodeRecords(batch any, dst [][]byte) ([][]byte, error)
	replay(w writer, channel int, records [][]byte) error
}

// PortFor returns the Port of record type T.
func PortFor[T any]() Port { return port[T]{} }

type port[T any] struct{}

func (port[T]) TypeName() string { var v T; return fmt.Sprintf("%T", v) }

func (port[T]) newWriter(spec WriterSpec) writer {
	return newRecordWriter[T](spec)
}

func (p port[T]) newChained(op operator.Operator, idx int, tr *tracker) (any, error) {
	in, ok := op.(operator.OneInput[T])
	if !ok {
		return nil, fmt.Errorf("task: operator %T cannot consume records of type %s", op, p.TypeName())
	}
	return &chained[T]{op: in, idx: idx, tr: tr}, nil
}

func (port[T]) newFanOut(outs []any, side *sideRouter) any {
	f := &fanOut[T]{side: side}
	for _, o := range outs {
		f.outs = append(f.outs, o.(operator.Output[T]))
	}
	return f
}

func (port[T]) newSide(out any, tag string) sideTarget {
	return typedSide[T]{Output: out.(operator.Output[T]), name: tag}
}

func (p port[T]) newInput(op operator.Operator, input int) (inputProcessor, error) {
	switch input {
	case 1:
		if in, ok := op.(operator.OneInput[T]); ok {
			return &oneInput[T]{op: in, pool: poolFor[T]()}, nil
		}
		if in, ok := op.(interface {
			ProcessElement1(T, int64) error
		}); ok {
			return &firstInput[T]{op: in, pool: poolFor[T]()}, nil
		}
	case 2:
		if in, ok := op.(interface {
			ProcessElement2(T, int64) error
		}); ok {
			return &secondInput[T]{op: in, pool: poolFor[T]()}, nil
		}
	}
	return nil, fmt.Errorf("task: operator %T has no input %d of type %s", op, input, p.TypeName())
}
