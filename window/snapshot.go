package window

import (
	"fmt"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/runtime/operator"
	"github.com/weirstream/weir/snapshot"
	"github.com/weirstream/weir/state"
)

// SnapshotState implements operator.Snapshotter: window contents, merging
// window sets, triggers' state and timers, and the window function's
// per-window state, all keyed state, key group by key group.
func (o *Operator[K, IN, OUT, W]) SnapshotState(operator.SnapshotContext) (operator.StateSnapshot, error) {
	main, err := o.backend.Snapshot()
	if err != nil {
		return operator.StateSnapshot{}, err
	}
	ks := &windowSnapshot{main: main}
	if o.windowBackend != nil {
		if ks.perWindow, err = o.windowBackend.Snapshot(); err != nil {
			main.Release()
			return operator.StateSnapshot{}, err
		}
	}
	return operator.StateSnapshot{Keyed: ks}, nil
}

// restore loads the operator's keyed state from r before any state is
// registered.
func (o *Operator[K, IN, OUT, W]) restore(r *operator.Restored) error {
	if r == nil || r.KeyGroups == nil {
		return nil
	}
	return r.KeyGroups(func(kg int, data []byte) error {
		d := snapshot.NewDecoder(data)
		main, perWindow := d.Bytes(), d.Bytes()
		if err := d.Err(); err != nil {
			return fmt.Errorf("window: operator %q key group %d: %w", o.name, kg, err)
		}
		if err := o.backend.RestoreKeyGroup(kg, main); err != nil {
			return err
		}
		if len(perWindow) == 0 {
			return nil
		}
		if o.windowBackend == nil {
			o.windowBackend = state.NewHeapBackend(o.windowOptions())
		}
		return o.windowBackend.RestoreKeyGroup(kg, perWindow)
	})
}

// windowOptions configures the backend of per-window state, keyed by
// (key, window).
func (o *Operator[K, IN, OUT, W]) windowOptions() state.HeapOptions {
	opts := o.opts
	opts.KeyCodec = windowKeyCodec[K, W]{c: codec.For[typedWindowKey[K, W]]()}
	return opts
}

// windowSnapshot writes both backends of an operator into each key group:
// the main backend's bytes, then the per-window backend's (possibly none).
type windowSnapshot struct {
	main, perWindow operator.KeyedSnapshot
}

func (s *windowSnapshot) KeyGroups() keygroup.Range { return s.main.KeyGroups() }

func (s *windowSnapshot) WriteKeyGroup(kg int, e *snapshot.Encoder) error {
	var part snapshot.Encoder
	if err := s.main.WriteKeyGroup(kg, &part); err != nil {
		return err
	}
	mainLen := part.Len()
	if s.perWindow != nil {
		if err := s.perWindow.WriteKeyGroup(kg, &part); err != nil {
			return err
		}
	}
	if part.Len() == 0 {
		return nil
	}
	e.Bytes(part.Data()[:mainLen])
	e.Bytes(part.Data()[mainLen:])
	return nil
}

func (s *windowSnapshot) Release() {
	s.main.Release()
	if s.perWindow != nil {
		s.perWindow.Release()
	}
}

// typedWindowKey is windowKey with its static types, for the codec.
type typedWindowKey[K comparable, W Window] struct {
	Key    K
	Window W
}

// windowKeyCodec encodes the windowKey values of per-window state.
type windowKeyCodec[K comparable, W Window] struct {
	c codec.Codec[typedWindowKey[K, W]]
}

func (w windowKeyCodec[K, W]) Encode(v any) ([]byte, error) {
	wk, ok := v.(windowKey)
	if !ok {
		return nil, fmt.Errorf("window: per-window state key is a %T, want a windowKey", v)
	}
	return w.c.Encode(typedWindowKey[K, W]{Key: wk.key.(K), Window: wk.window.(W)})
}

func (w windowKeyCodec[K, W]) Decode(b []byte) (any, error) {
	t, err := w.c.Decode(b)
	if err != nil {
		return nil, err
	}
	return windowKey{key: t.Key, window: t.Window}, nil
}
