package rest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrInvalidID is wrapped by the errors of [ParseJobID] and [ParseTriggerID].
var ErrInvalidID = errors.New("rest: invalid id")

// idLen is the length of a job or trigger id in hex: 16 bytes, like Flink's
// JobID and TriggerId, so ids look the same to users of both.
const idLen = 32

// JobID identifies a job. It prints as 32 lowercase hexadecimal characters.
// The zero value means "no job".
type JobID [16]byte

// NewJobID returns a random job id.
func NewJobID() JobID { return JobID(randomID()) }

// ParseJobID parses the 32 hexadecimal characters [JobID.String] prints.
// Upper case is accepted.
func ParseJobID(s string) (JobID, error) {
	b, err := parseID(s)
	if err != nil {
		return JobID{}, fmt.Errorf("%w: job id %q %w (as printed by weir list)", ErrInvalidID, s, err)
	}
	return JobID(b), nil
}

// String returns the id as 32 lowercase hexadecimal characters.
func (id JobID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is the zero value.
func (id JobID) IsZero() bool { return id == JobID{} }

// MarshalText implements encoding.TextMarshaler, so ids are JSON strings.
func (id JobID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *JobID) UnmarshalText(b []byte) error {
	v, err := ParseJobID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// TriggerID identifies one asynchronous operation (a savepoint or a
// stop-with-savepoint) of a job. It prints as 32 lowercase hexadecimal
// characters.
type TriggerID [16]byte

// NewTriggerID returns a random trigger id.
func NewTriggerID() TriggerID { return TriggerID(randomID()) }

// ParseTriggerID parses the 32 hexadecimal characters [TriggerID.String]
// prints. Upper case is accepted.
func ParseTriggerID(s string) (TriggerID, error) {
	b, err := parseID(s)
	if err != nil {
		return TriggerID{}, fmt.Errorf("%w: trigger id %q %w (the request-id returned when the operation was triggered)", ErrInvalidID, s, err)
	}
	return TriggerID(b), nil
}

// String returns the id as 32 lowercase hexadecimal characters.
func (id TriggerID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is the zero value.
func (id TriggerID) IsZero() bool { return id == TriggerID{} }

// MarshalText implements encoding.TextMarshaler.
func (id TriggerID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *TriggerID) UnmarshalText(b []byte) error {
	v, err := ParseTriggerID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

var errIDFormat = errors.New("must be 32 hexadecimal characters")

func parseID(s string) ([16]byte, error) {
	var b [16]byte
	if len(s) != idLen {
		return b, errIDFormat
	}
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return b, errIDFormat
	}
	return b, nil
}

func randomID() [16]byte {
	var b [16]byte
	// crypto/rand.Read never fails (it panics if the OS cannot supply randomness).
	_, _ = rand.Read(b[:])
	return b
}
