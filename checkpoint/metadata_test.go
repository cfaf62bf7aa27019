package checkpoint

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
)

func sampleMetadata() *Metadata {
	return &Metadata{
		JobID: "0123456789abcdef0123456789abcdef", CheckpointID: 7, Kind: KindCheckpoint,
		Timestamp: time.UnixMilli(1_700_000_000_123).UTC(),
		Operators: []snapshot.OperatorState{
			{UID: "src", Name: "Source", Parallelism: 2, MaxParallelism: 128, Coordinator: []byte("enum"),
				Subtasks: []snapshot.SubtaskState{
					{Index: 0, Lists: []snapshot.ListState{{Name: "splits", Mode: snapshot.Split, Elements: [][]byte{[]byte("s0")}}}},
					{Index: 1, Lists: []snapshot.ListState{{Name: "splits", Mode: snapshot.Split, Elements: [][]byte{}}}},
				}},
			{UID: "count", Name: "Count", Parallelism: 2, MaxParallelism: 128,
				Subtasks: []snapshot.SubtaskState{
					{Index: 0, Keyed: &snapshot.KeyedHandle{File: "count-0-keyed", KeyGroups: keygroup.Range{Start: 0, End: 63}, Offsets: offsets(64, 10)}},
					{Index: 1, Keyed: &snapshot.KeyedHandle{File: "count-1-keyed", KeyGroups: keygroup.Range{Start: 64, End: 127}, Offsets: offsets(64, 5)}},
				}},
		},
		FinishedOperators: []string{"src"},
	}
}

func offsets(n int, step int64) []int64 {
	o := make([]int64, n+1)
	for i := range o {
		o[i] = int64(i) * step
	}
	return o
}

func TestMetadataRoundTrip(t *testing.T) {
	m := sampleMetadata()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	m.Version = FormatVersion
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got  %+v\n want %+v", got, m)
	}
	if got.StateSize() != 2+64*10+64*5+4 {
		t.Errorf("StateSize = %d", got.StateSize())
	}
	if got.Operator("count") == nil || got.Operator("nope") != nil {
		t.Error("Operator lookup wrong")
	}
}

// reencode rebuilds the framing around body with the given version, so
// tests can produce checksum-valid files with any content.
func reencode(version uint32, body []byte) []byte {
	b := []byte(metaMagic)
	b = binary.BigEndian.AppendUint32(b, version)
	b = binary.BigEndian.AppendUint64(b, uint64(len(body)))
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func TestDecodeMetadataErrors(t *testing.T) {
	good, err := sampleMetadata().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	body := good[headerLen : len(good)-trailerLen]
	flip := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 0x20
		return b
	}
	tests := []struct {
		name     string
		data     []byte
		sentinel error
		msg      string
	}{
		{"empty", nil, ErrCorrupt, "bad magic"},
		{"other file", []byte("PK\x03\x04 a zip file"), ErrCorrupt, "bad magic"},
		{"magic only", []byte(metaMagic), ErrCorrupt, "truncated"},
		{"newer version", reencode(2, body), ErrUnknownVersion, "written by a newer weir (this one reads versions up to 1); upgrade weir"},
		{"newer version, other layout", append([]byte(metaMagic), 0, 0, 0, 9, 'x'), ErrUnknownVersion, "version 9"},
		{"version 0", reencode(0, body), ErrCorrupt, "format version 0"},
		{"truncated", good[:len(good)-10], ErrCorrupt, "does not match the file size"},
		{"extended", append(append([]byte(nil), good...), 0), ErrCorrupt, "does not match the file size"},
		{"bit flip in body", flip(headerLen + 5), ErrCorrupt, "checksum mismatch"},
		{"bit flip in crc", flip(len(good) - 1), ErrCorrupt, "checksum mismatch"},
		{"not json", reencode(1, []byte("{nope")), ErrCorrupt, "body"},
		{"trailing json", reencode(1, append(append([]byte(nil), body...), []byte(" {}")...)), ErrCorrupt, "data after"},
		{"no checkpoint id", reencode(1, []byte(`{"jobId":"j","kind":"checkpoint"}`)), ErrCorrupt, "not positive"},
		{"bad kind", reencode(1, []byte(`{"checkpointId":1,"kind":"snapshot"}`)), ErrCorrupt, "unknown kind"},
		{"duplicate uid", reencode(1, []byte(`{"checkpointId":1,"kind":"checkpoint","operators":[{"uid":"a"},{"uid":"a"}]}`)), ErrCorrupt, "appears twice"},
		{"escaping file", reencode(1, []byte(`{"checkpointId":1,"kind":"checkpoint","operators":[{"uid":"a","parallelism":1,"maxParallelism":4,
			"subtasks":[{"index":0,"keyed":{"file":"../../etc/passwd","keyGroups":{"Start":0,"End":0},"offsets":[0,1]}}]}]}`)), ErrCorrupt, "not a plain relative name"},
		{"offsets short", reencode(1, []byte(`{"checkpointId":1,"kind":"checkpoint","operators":[{"uid":"a","parallelism":1,"maxParallelism":4,
			"subtasks":[{"index":0,"keyed":{"file":"f","keyGroups":{"Start":0,"End":3},"offsets":[0,1]}}]}]}`)), ErrCorrupt, "2 offsets for 4 key groups"},
		{"key groups beyond max", reencode(1, []byte(`{"checkpointId":1,"kind":"checkpoint","operators":[{"uid":"a","parallelism":1,"maxParallelism":4,
			"subtasks":[{"index":0,"keyed":{"file":"f","keyGroups":{"Start":0,"End":4},"offsets":[0,1,2,3,4,5]}}]}]}`)), ErrCorrupt, "invalid for max parallelism"},
		{"subtask beyond parallelism", reencode(1, []byte(`{"checkpointId":1,"kind":"checkpoint","operators":[{"uid":"a","parallelism":1,"subtasks":[{"index":1}]}]}`)),
			ErrCorrupt, "outside parallelism"},
		{"bad list mode", reencode(1, []byte(`{"checkpointId":1,"kind":"checkpoint","operators":[{"uid":"a","parallelism":1,"subtasks":[{"index":0,"lists":[{"name":"l","mode":7}]}]}]}`)),
			ErrCorrupt, "invalid mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeMetadata(tt.data)
			if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %v containing %q", err, tt.sentinel, tt.msg)
			}
		})
	}
}

func TestMarshalRejectsInvalid(t *testing.T) {
	m := sampleMetadata()
	m.Operators[1].Subtasks[0].Keyed.Offsets = m.Operators[1].Subtasks[0].Keyed.Offsets[:3]
	if _, err := m.MarshalBinary(); err == nil || !strings.Contains(err.Error(), "refusing to write invalid metadata") {
		t.Fatalf("invalid metadata written: %v", err)
	}
}

// FuzzDecodeMetadata: the decoder never panics, and whatever it accepts
// is valid enough to re-encode and decode to the same value.
func FuzzDecodeMetadata(f *testing.F) {
	good, _ := sampleMetadata().MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(reencode(1, []byte(`{"checkpointId":3,"kind":"savepoint","operators":[{"uid":"u","subtasks":[{"index":0}]}]}`)))
	f.Add(reencode(2, []byte(`{}`)))
	f.Add([]byte(metaMagic))
	f.Fuzz(checkDecode)
}

// FuzzMetadataBody fuzzes the JSON body inside valid framing, which the
// checksum keeps FuzzDecodeMetadata from reaching.
func FuzzMetadataBody(f *testing.F) {
	good, _ := sampleMetadata().MarshalBinary()
	f.Add(good[headerLen : len(good)-trailerLen])
	f.Add([]byte(`{"checkpointId":3,"kind":"savepoint","operators":[{"uid":"u","parallelism":1,"maxParallelism":2,` +
		`"subtasks":[{"index":0,"keyed":{"file":"k","keyGroups":{"Start":1,"End":1},"offsets":[4,9]}}]}]}`))
	f.Add([]byte(`{"checkpointId":1,"kind":"checkpoint","timestamp":"2024-01-01T00:00:00+01:00"}`))
	f.Fuzz(func(t *testing.T, body []byte) { checkDecode(t, reencode(1, body)) })
}

func checkDecode(t *testing.T, data []byte) {
	{
		m, err := DecodeMetadata(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownVersion) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		for _, op := range m.Operators {
			for _, st := range op.Subtasks {
				if st.Keyed != nil {
					for kg := st.Keyed.KeyGroups.Start; kg <= st.Keyed.KeyGroups.End; kg++ {
						st.Keyed.Span(kg) // must not panic
					}
				}
			}
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted metadata does not re-encode: %v", err)
		}
		m2, err := DecodeMetadata(b)
		if err != nil {
			t.Fatalf("re-encoded metadata does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalizeTime(m), normalizeTime(m2)) {
			t.Fatalf("re-encoding changed the metadata:\n%+v\n%+v", m, m2)
		}
	}
}

// normalizeTime drops the monotonic/location detail JSON does not keep.
func normalizeTime(m *Metadata) *Metadata {
	c := *m
	c.Timestamp = c.Timestamp.UTC()
	return &c
}
