package local

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/weirstream/weir/checkpoint"

	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/runtime/task"
	"github.com/weirstream/weir/snapshot"
)

// readRange reads n bytes at off of a restored snapshot's state file.
type readRange func(ctx context.Context, name string, off, n int64) ([]byte, error)

// crcTable is CRC-32C: each key group's bytes are followed by their
// checksum, so a damaged state file is detected on restore.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// persistSubtask runs the asynchronous part of a subtask's checkpoint: it
// writes every operator's keyed state to a state file, key group by key
// group, and returns each operator's SubtaskState by UID.
func persistSubtask(ctx context.Context, store *checkpoint.Storage, dir string, subtask int, snaps []task.OperatorSnapshot) (map[string]snapshot.SubtaskState, error) {
	defer func() {
		for _, s := range snaps {
			if s.State.Keyed != nil {
				s.State.Keyed.Release()
			}
		}
	}()
	out := make(map[string]snapshot.SubtaskState, len(snaps))
	for _, s := range snaps {
		st := snapshot.SubtaskState{Index: subtask, Lists: s.State.Lists}
		if s.State.Keyed != nil {
			h, err := writeKeyed(ctx, store, dir, checkpoint.StateFileName(s.UID, subtask, "keyed"), s.State.Keyed)
			if err != nil {
				return nil, fmt.Errorf("operator %s subtask %d: %w", s.UID, subtask, err)
			}
			st.Keyed = h
		}
		if st.Keyed == nil && len(st.Lists) == 0 {
			continue
		}
		out[s.UID] = st
	}
	return out, nil
}

func writeKeyed(ctx context.Context, store *checkpoint.Storage, dir, name string, ks operator.KeyedSnapshot) (*snapshot.KeyedHandle, error) {
	f, err := store.CreateStateFile(ctx, dir, name)
	if err != nil {
		return nil, err
	}
	r := ks.KeyGroups()
	h := &snapshot.KeyedHandle{File: f.Name(), KeyGroups: r, Offsets: make([]int64, 0, r.Len()+1)}
	var enc snapshot.Encoder
	var off int64
	for kg := r.Start; kg <= r.End; kg++ {
		if err := ctx.Err(); err != nil {
			f.Abort()
			return nil, err
		}
		h.Offsets = append(h.Offsets, off)
		enc.Reset()
		if err := ks.WriteKeyGroup(kg, &enc); err != nil {
			f.Abort()
			return nil, fmt.Errorf("key group %d: %w", kg, err)
		}
		if enc.Len() == 0 {
			continue
		}
		enc.Raw(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(enc.Data(), crcTable)))
		n, err := f.Write(enc.Data())
		off += int64(n)
		if err != nil {
			f.Abort()
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
	}
	h.Offsets = append(h.Offsets, off)
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", name, err)
	}
	return h, nil
}

// keyGroupReader returns Restored.KeyGroups for a subtask: it reads the
// spans of handles that fall into the subtask's range, checks each key
// group's checksum and hands out its bytes in key group order.
func keyGroupReader(ctx context.Context, read readRange, a snapshot.Assignment) func(fn func(kg int, data []byte) error) error {
	if len(a.Keyed) == 0 {
		return nil
	}
	return func(fn func(kg int, data []byte) error) error {
		for _, h := range a.Keyed {
			first, last := max(h.KeyGroups.Start, a.KeyGroups.Start), min(h.KeyGroups.End, a.KeyGroups.End)
			start, _ := h.Span(first)
			_, end := h.Span(last)
			if end <= start {
				continue
			}
			buf, err := read(ctx, h.File, start, end-start)
			if err != nil {
				return fmt.Errorf("read %s: %w", h.File, err)
			}
			if int64(len(buf)) != end-start {
				return fmt.Errorf("%w: %s holds %d bytes for key groups %d..%d, want %d", snapshot.ErrCorrupt, h.File, len(buf), first, last, end-start)
			}
			for kg := first; kg <= last; kg++ {
				s, e := h.Span(kg)
				if e == s {
					continue
				}
				b := buf[s-start : e-start]
				if len(b) < 4 {
					return fmt.Errorf("%w: %s key group %d is %d bytes, too short for its checksum", snapshot.ErrCorrupt, h.File, kg, len(b))
				}
				data, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
				if crc32.Checksum(data, crcTable) != sum {
					return fmt.Errorf("%w: %s key group %d fails its checksum", snapshot.ErrCorrupt, h.File, kg)
				}
				if err := fn(kg, data); err != nil {
					return fmt.Errorf("key group %d: %w", kg, err)
				}
			}
		}
		return nil
	}
}
