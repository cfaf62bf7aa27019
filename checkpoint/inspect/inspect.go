package inspect

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"slices"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/keygroup"
	"github.com/weirstream/weir/snapshot"
	"github.com/weirstream/weir/state"
)

// Report is what one checkpoint or savepoint holds.
type Report struct {
	// Path is the snapshot's directory as a URL.
	Path string `json:"path"`
	// Kind is "checkpoint" or "savepoint".
	Kind          string    `json:"kind"`
	ID            int64     `json:"id"`
	JobID         string    `json:"jobId"`
	Timestamp     time.Time `json:"timestamp"`
	FormatVersion int       `json:"formatVersion"`
	// MetadataBytes is the size of the _metadata file, StateBytes the
	// state it refers to (keyed state files, operator state, coordinator
	// state), TotalBytes both.
	MetadataBytes int64      `json:"metadataBytes"`
	StateBytes    int64      `json:"stateBytes"`
	TotalBytes    int64      `json:"totalBytes"`
	Operators     []Operator `json:"operators"`
	// Problems lists damaged or missing state, at most MaxProblems;
	// MoreProblems counts those left out.
	Problems     []Problem `json:"problems,omitempty"`
	MoreProblems int       `json:"moreProblems,omitempty"`
}

// MaxProblems bounds Report.Problems: a file damaged throughout would
// otherwise add one problem per key group.
const MaxProblems = 100

// Operator is one operator's part of the snapshot.
type Operator struct {
	UID            string `json:"uid"`
	Name           string `json:"name"`
	Parallelism    int    `json:"parallelism"`
	MaxParallelism int    `json:"maxParallelism"`
	// Finished is set when all of the operator's subtasks had finished
	// (bounded input) when the snapshot was taken.
	Finished         bool  `json:"finished,omitempty"`
	CoordinatorBytes int64 `json:"coordinatorBytes"`
	// StateBytes is the coordinator's, keyed and operator state.
	StateBytes int64     `json:"stateBytes"`
	Subtasks   []Subtask `json:"subtasks"`
	// KeyedStates sums each keyed state and timer kind over the key groups
	// of all subtasks; damaged key groups are left out.
	KeyedStates []KeyedState `json:"keyedStates,omitempty"`
}

// Subtask is what one subtask of an operator snapshotted.
type Subtask struct {
	Index int `json:"index"`
	// KeyGroups is nil for a subtask without keyed state.
	KeyGroups *KeyGroupRange `json:"keyGroups,omitempty"`
	// KeyedFile is the keyed state file, relative to the snapshot.
	KeyedFile string `json:"keyedFile,omitempty"`
	// KeyedBytes is the size of the subtask's keyed state, checksums
	// included.
	KeyedBytes int64       `json:"keyedBytes"`
	ListStates []ListState `json:"listStates,omitempty"`
}

// KeyGroupRange is an inclusive range of key groups.
type KeyGroupRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

func (r KeyGroupRange) String() string {
	if r.End < r.Start {
		return "none"
	}
	return fmt.Sprintf("%d-%d", r.Start, r.End)
}

// ListState is one operator (non-keyed) state of a subtask.
type ListState struct {
	Name string `json:"name"`
	// Mode is how it is redistributed on restore: split, union or
	// broadcast.
	Mode     string `json:"mode"`
	Elements int    `json:"elements"`
	Bytes    int64  `json:"bytes"`
}

// KeyedState is one keyed state, or one kind of timers of a timer
// service, summed over an operator's key groups.
type KeyedState struct {
	Name string `json:"name"`
	// Kind is the state kind (ValueState, ListState, MapState,
	// ReducingState, AggregatingState) or EventTimeTimers or
	// ProcessingTimeTimers.
	Kind string `json:"kind"`
	// Scope is "per-window" for the window function's per-window state of
	// a window operator, empty otherwise.
	Scope string `json:"scope,omitempty"`
	TTL   bool   `json:"ttl,omitempty"`
	// Entries counts (key, namespace) entries, or timers; Elements the
	// values behind them (list elements, map entries).
	Entries  int64 `json:"entries"`
	Elements int64 `json:"elements"`
	Bytes    int64 `json:"bytes"`
	// KeyGroups is the number of key groups holding the state.
	KeyGroups int `json:"keyGroups"`
}

// IsTimers reports whether s counts timers rather than state entries.
func (s *KeyedState) IsTimers() bool {
	return s.Kind == state.KindEventTimeTimers || s.Kind == state.KindProcessingTimeTimers
}

// Problem is damaged or missing state found while building a report.
type Problem struct {
	Operator string `json:"operator"`
	Subtask  int    `json:"subtask"`
	File     string `json:"file"`
	// KeyGroup is the damaged key group, -1 when the problem concerns the
	// whole file.
	KeyGroup int    `json:"keyGroup"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	where := "keyed state file " + p.File
	if p.KeyGroup >= 0 {
		where += fmt.Sprintf(", key group %d", p.KeyGroup)
	}
	return fmt.Sprintf("%s (operator %s, subtask %d): %s", where, p.Operator, p.Subtask, p.Message)
}

// Err returns nil when the report found no problem, else an error
// wrapping snapshot.ErrCorrupt that names the first problem.
func (r *Report) Err() error {
	n := len(r.Problems) + r.MoreProblems
	if n == 0 {
		return nil
	}
	more := ""
	if n > 1 {
		more = fmt.Sprintf(" (and %d more problems, listed in the report)", n-1)
	}
	return fmt.Errorf("inspect: the %s at %s is damaged: %w: %s%s; restore from another checkpoint or savepoint",
		r.Kind, r.Path, snapshot.ErrCorrupt, r.Problems[0], more)
}

// ReadRange reads n bytes at offset off of the snapshot's file name (n < 0
// reads to the end), as checkpoint.Snapshot.ReadRange does.
type ReadRange func(ctx context.Context, name string, off, n int64) ([]byte, error)

// Inspect opens the checkpoint or savepoint at path (its directory or its
// _metadata file, as a path or URL) and builds its report. The error is
// about the metadata or storage (not found, unreadable, corrupt); damaged
// state files are reported as the report's problems.
func Inspect(ctx context.Context, path string) (*Report, error) {
	sn, err := checkpoint.OpenSnapshot(ctx, path)
	if err != nil {
		return nil, err
	}
	r, err := Build(ctx, sn.Dir, sn.Metadata, sn.ReadRange)
	if cerr := sn.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("inspect: closing %s: %w", sn.Dir, cerr)
	}
	return r, err
}

// chunkSize bounds the bytes of a keyed state file read at once; a key
// group larger than that is read alone.
const chunkSize = 8 << 20

// Build builds the report of the snapshot in dir described by m, reading
// its files with read. It fails only when a file cannot be read for
// another reason than being missing or short (storage unreachable);
// damage is recorded in the report's problems.
func Build(ctx context.Context, dir string, m *checkpoint.Metadata, read ReadRange) (*Report, error) {
	return build(ctx, dir, m, read, chunkSize)
}

// build is Build reading at most chunk bytes of keyed state at once.
func build(ctx context.Context, dir string, m *checkpoint.Metadata, read ReadRange, chunk int64) (*Report, error) {
	meta, err := read(ctx, checkpoint.MetadataFile, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("inspect: reading %s: %w", checkpoint.MetadataFile, err)
	}
	r := &Report{
		Path: dir, Kind: m.Kind.String(), ID: m.CheckpointID, JobID: m.JobID, Timestamp: m.Timestamp,
		FormatVersion: m.Version, MetadataBytes: int64(len(meta)), StateBytes: m.StateSize(),
		Operators: make([]Operator, 0, len(m.Operators)),
	}
	r.TotalBytes = r.MetadataBytes + r.StateBytes
	for i := range m.Operators {
		op, err := r.operator(ctx, &m.Operators[i], slices.Contains(m.FinishedOperators, m.Operators[i].UID), read, chunk)
		if err != nil {
			return nil, err
		}
		r.Operators = append(r.Operators, op)
	}
	return r, nil
}

func (r *Report) problem(p Problem) {
	if len(r.Problems) < MaxProblems {
		r.Problems = append(r.Problems, p)
	} else {
		r.MoreProblems++
	}
}

// stateKey identifies a keyed state within an operator.
type stateKey struct{ scope, name, kind string }

func (r *Report) operator(ctx context.Context, o *snapshot.OperatorState, finished bool, read ReadRange, chunk int64) (Operator, error) {
	op := Operator{
		UID: o.UID, Name: o.Name, Parallelism: o.Parallelism, MaxParallelism: o.MaxParallelism,
		Finished: finished, CoordinatorBytes: int64(len(o.Coordinator)),
		Subtasks: make([]Subtask, 0, len(o.Subtasks)),
	}
	op.StateBytes = op.CoordinatorBytes
	states := map[stateKey]*KeyedState{}
	subtasks := slices.Clone(o.Subtasks)
	slices.SortFunc(subtasks, func(a, b snapshot.SubtaskState) int { return cmp.Compare(a.Index, b.Index) })
	for _, st := range subtasks {
		s := Subtask{Index: st.Index}
		for _, l := range st.Lists {
			ls := ListState{Name: l.Name, Mode: l.Mode.String(), Elements: len(l.Elements)}
			for _, e := range l.Elements {
				ls.Bytes += int64(len(e))
			}
			s.ListStates = append(s.ListStates, ls)
			op.StateBytes += ls.Bytes
		}
		if h := st.Keyed; h != nil {
			kgr := keyGroupRange(h.KeyGroups)
			s.KeyGroups = &kgr
			s.KeyedFile = h.File
			s.KeyedBytes = h.Size()
			op.StateBytes += s.KeyedBytes
			kf := keyedFile{r: r, h: h, states: states, where: Problem{Operator: o.UID, Subtask: st.Index, File: h.File}}
			if err := kf.scan(ctx, read, chunk); err != nil {
				return Operator{}, err
			}
		}
		op.Subtasks = append(op.Subtasks, s)
	}
	for _, s := range states {
		op.KeyedStates = append(op.KeyedStates, *s)
	}
	slices.SortFunc(op.KeyedStates, func(a, b KeyedState) int {
		return cmp.Or(cmp.Compare(a.Scope, b.Scope), compareBool(a.IsTimers(), b.IsTimers()),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	})
	return op, nil
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// keyedFile scans one subtask's keyed state file.
type keyedFile struct {
	r      *Report
	h      *snapshot.KeyedHandle
	states map[stateKey]*KeyedState
	where  Problem // the operator, subtask and file of problems
}

func (f *keyedFile) problem(kg int, format string, args ...any) {
	p := f.where
	p.KeyGroup = kg
	p.Message = fmt.Sprintf(format, args...)
	f.r.problem(p)
}

// scan reads the file's key groups in chunks of up to chunk bytes.
func (f *keyedFile) scan(ctx context.Context, read ReadRange, chunk int64) error {
	h := f.h
	for first := h.KeyGroups.Start; first <= h.KeyGroups.End; {
		start, _ := h.Span(first)
		last := first
		for last < h.KeyGroups.End {
			if _, e := h.Span(last + 1); e-start > chunk {
				break
			}
			last++
		}
		if _, end := h.Span(last); end > start {
			buf, err := f.read(ctx, read, start, end-start)
			if err != nil {
				return err
			}
			if !f.keyGroups(first, last, start, buf) {
				return nil
			}
		}
		first = last + 1
	}
	return nil
}

// read reads [start, start+n) of the file. A missing file is a problem
// and leaves buf nil; a short one yields what is there.
func (f *keyedFile) read(ctx context.Context, read ReadRange, start, n int64) ([]byte, error) {
	buf, err := read(ctx, f.h.File, start, n)
	switch {
	case err == nil:
		return buf, nil
	case errors.Is(err, fs.ErrNotExist):
		f.problem(-1, "the file is missing")
		return nil, nil
	case errors.Is(err, checkpoint.ErrCorrupt):
		// Shorter than the metadata says: read what is there to tell
		// which key groups are intact.
		if buf, err = read(ctx, f.h.File, start, -1); err == nil {
			return buf, nil
		}
	}
	return nil, fmt.Errorf("inspect: reading keyed state file %s: %w", f.h.File, err)
}

// keyGroups checks and summarises key groups first..last, whose bytes
// start at offset start of the file. It reports false when the rest of the
// file cannot be read (missing or truncated).
func (f *keyedFile) keyGroups(first, last int, start int64, buf []byte) bool {
	if buf == nil {
		return false
	}
	for kg := first; kg <= last; kg++ {
		s, e := f.h.Span(kg)
		if e == s {
			continue
		}
		if e-start > int64(len(buf)) {
			f.problem(kg, "the file ends at byte %d, inside this key group (bytes %d to %d): the file is truncated",
				start+int64(len(buf)), s, e)
			return false
		}
		b := buf[s-start : e-start]
		if len(b) < 4 {
			f.problem(kg, "%d bytes, too short for its checksum", len(b))
			continue
		}
		data, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
		if got := crc32.Checksum(data, crcTable); got != sum {
			f.problem(kg, "fails its CRC-32C checksum (stored %08x, computed %08x over bytes %d to %d): the file is damaged",
				sum, got, s, e-4)
			continue
		}
		parts, err := summarize(kg, data)
		if err != nil {
			f.problem(kg, "%v", err)
			continue
		}
		for _, p := range parts {
			for _, s := range p.states {
				f.add(p.scope, s)
			}
		}
	}
	return true
}

func (f *keyedFile) add(scope string, s state.StateSummary) {
	k := stateKey{scope: scope, name: s.Name, kind: s.Kind}
	ks := f.states[k]
	if ks == nil {
		ks = &KeyedState{Name: s.Name, Kind: s.Kind, Scope: scope}
		f.states[k] = ks
	}
	ks.TTL = ks.TTL || s.TTL
	ks.Entries += int64(s.Entries)
	ks.Elements += int64(s.Elements)
	ks.Bytes += int64(s.Bytes)
	ks.KeyGroups++
}

// crcTable is CRC-32C, as the state files are written with.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ScopePerWindow is the scope of a window operator's per-window state.
const ScopePerWindow = "per-window"

// part is the states of one backend found in a key group.
type part struct {
	scope  string
	states []state.StateSummary
}

// summarize reads one key group's bytes (checksum removed): a canonical
// key group, or the window operator's pair of them.
func summarize(kg int, data []byte) ([]part, error) {
	states, err := state.InspectKeyGroup(kg, data)
	if err == nil {
		return []part{{states: states}}, nil
	}
	if !errors.Is(err, state.ErrFormatVersion) {
		return nil, err
	}
	// Not a bare key group: a window operator's main and per-window
	// backends, as two byte strings that fill the data.
	d := snapshot.NewDecoder(data)
	main, perWindow := d.Bytes(), d.Bytes()
	if d.Err() != nil || d.Len() != 0 || len(main) == 0 {
		return nil, fmt.Errorf("neither a key group in a state format this build reads nor a window operator's pair of them: %w", err)
	}
	mainStates, err := state.InspectKeyGroup(kg, main)
	if err != nil {
		return nil, fmt.Errorf("window operator's state: %w", err)
	}
	windowStates, err := state.InspectKeyGroup(kg, perWindow)
	if err != nil {
		return nil, fmt.Errorf("window operator's per-window state: %w", err)
	}
	return []part{{states: mainStates}, {scope: ScopePerWindow, states: windowStates}}, nil
}

// keyGroupRange converts a key group range for reports.
func keyGroupRange(r keygroup.Range) KeyGroupRange { return KeyGroupRange{Start: r.Start, End: r.End} }
