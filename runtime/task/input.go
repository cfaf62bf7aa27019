package task

import (
	"fmt"
	"sync"

	"github.com/weirstream/weir/runtime/operator"
)

// inputProcessor feeds one batch into a head operator and recycles it.
type inputProcessor interface {
	processBatch(b any) error
}

type oneInput[T any] struct {
	op   operator.OneInput[T]
	pool *sync.Pool
}

func (p *oneInput[T]) processBatch(x any) error {
	b, ok := x.(*operator.Batch[T])
	if !ok {
		return fmt.Errorf("task: input expected batches of %T, got %T", b, x)
	}
	for i, v := range b.Values {
		if err := p.op.ProcessElement(v, b.Timestamps[i]); err != nil {
			return err
		}
	}
	b.Reset()
	p.pool.Put(b)
	return nil
}

type firstInput[T any] struct {
	op   interface{ ProcessElement1(T, int64) error }
	pool *sync.Pool
}

func (p *firstInput[T]) processBatch(x any) error {
	b, ok := x.(*operator.Batch[T])
	if !ok {
		return fmt.Errorf("task: input 1 expected batches of %T, got %T", b, x)
	}
	for i, v := range b.Values {
		if err := p.op.ProcessElement1(v, b.Timestamps[i]); err != nil {
			return err
		}
	}
	b.Reset()
	p.pool.Put(b)
	return nil
}

type secondInput[T any] struct {
	op   interface{ ProcessElement2(T, int64) error }
	pool *sync.Pool
}

func (p *secondInput[T]) processBatch(x any) error {
	b, ok := x.(*operator.Batch[T])
	if !ok {
		return fmt.Errorf("task: input 2 expected batches of %T, got %T", b, x)
	}
	for i, v := range b.Values {
		if err := p.op.ProcessElement2(v, b.Timestamps[i]); err != nil {
			return err
		}
	}
	b.Reset()
	p.pool.Put(b)
	return nil
}
