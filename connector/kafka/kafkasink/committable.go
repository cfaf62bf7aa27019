package kafkasink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/weirstream/weir/codec"
)

// Committable is one pre-committed Kafka transaction: every record of it
// has been acknowledged, and committing it needs only these three values
// (a raw EndTxn request), from any client.
type Committable struct {
	TransactionalID string
	ProducerID      int64
	Epoch           int16
}

func (c Committable) String() string {
	return fmt.Sprintf("transaction %s (producer id %d, epoch %d)", c.TransactionalID, c.ProducerID, c.Epoch)
}

// validate rejects values no writer hands out.
func (c Committable) validate() error {
	switch {
	case c.TransactionalID == "":
		return errors.New("kafkasink: committable without a transactional id")
	case len(c.TransactionalID) > math.MaxInt16:
		return fmt.Errorf("kafkasink: committable transactional id is %d bytes, more than Kafka's %d", len(c.TransactionalID), math.MaxInt16)
	case c.ProducerID < 0:
		return fmt.Errorf("kafkasink: committable for %s has producer id %d; a transaction's producer id is never negative", c.TransactionalID, c.ProducerID)
	case c.Epoch < 0:
		return fmt.Errorf("kafkasink: committable for %s has epoch %d; a transaction's epoch is never negative", c.TransactionalID, c.Epoch)
	}
	return nil
}

// committableVersion is the first byte of an encoded committable.
const committableVersion = 1

// committableCodec encodes a Committable as
//
//	version (1 byte) | uvarint length | transactional id | varint producer id | varint epoch
//
// Decode accepts exactly what Encode writes (no trailing bytes, valid
// values), so a damaged checkpoint fails the restore instead of committing
// a wrong transaction.
type committableCodec struct{}

var _ codec.Codec[Committable] = committableCodec{}

func (committableCodec) Encode(c Committable) ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+binary.MaxVarintLen64*3+len(c.TransactionalID))
	b = append(b, committableVersion)
	b = binary.AppendUvarint(b, uint64(len(c.TransactionalID)))
	b = append(b, c.TransactionalID...)
	b = binary.AppendVarint(b, c.ProducerID)
	b = binary.AppendVarint(b, int64(c.Epoch))
	return b, nil
}

var errCommittableFormat = errors.New("kafkasink: committable in the checkpoint is damaged or was not written by this sink")

func (committableCodec) Decode(b []byte) (Committable, error) {
	var c Committable
	if len(b) == 0 || b[0] != committableVersion {
		if len(b) > 0 {
			return c, fmt.Errorf("%w: format version %d, this build reads %d", errCommittableFormat, b[0], committableVersion)
		}
		return c, fmt.Errorf("%w: empty", errCommittableFormat)
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > math.MaxInt16 || uint64(len(b)-k) < n {
		return c, fmt.Errorf("%w: bad transactional id length", errCommittableFormat)
	}
	c.TransactionalID = string(b[k : k+int(n)])
	b = b[k+int(n):]
	pid, k := binary.Varint(b)
	if k <= 0 {
		return c, fmt.Errorf("%w: bad producer id", errCommittableFormat)
	}
	b = b[k:]
	epoch, k := binary.Varint(b)
	if k <= 0 || epoch < math.MinInt16 || epoch > math.MaxInt16 {
		return c, fmt.Errorf("%w: bad epoch", errCommittableFormat)
	}
	if len(b) != k {
		return c, fmt.Errorf("%w: %d bytes after the end", errCommittableFormat, len(b)-k)
	}
	c.ProducerID, c.Epoch = pid, int16(epoch)
	if err := c.validate(); err != nil {
		return Committable{}, fmt.Errorf("%w: %w", errCommittableFormat, err)
	}
	return c, nil
}
