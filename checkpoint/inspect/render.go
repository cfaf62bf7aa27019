package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes r as indented JSON; sizes are in bytes, the timestamp
// in RFC 3339.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("inspect: encoding the report: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes r for people: the snapshot, then per operator its
// subtasks, keyed states and operator states, then any problems. Times are
// shown in loc.
func (r *Report) WriteText(w io.Writer, loc *time.Location) error {
	p := &printer{w: w}
	kind := r.Kind
	if kind != "" {
		kind = strings.ToUpper(kind[:1]) + kind[1:]
	}
	p.printf("%s %d of job %s\n", kind, r.ID, r.JobID)
	p.table(func(tw io.Writer) {
		_, _ = fmt.Fprintf(tw, "  Path:\t%s\n", r.Path)
		_, _ = fmt.Fprintf(tw, "  Taken:\t%s\n", r.Timestamp.In(loc).Format("2006-01-02 15:04:05.000 MST"))
		_, _ = fmt.Fprintf(tw, "  Format:\tversion %d\n", r.FormatVersion)
		_, _ = fmt.Fprintf(tw, "  Size:\t%s (state %s, metadata %s)\n", size(r.TotalBytes), size(r.StateBytes), size(r.MetadataBytes))
		_, _ = fmt.Fprintf(tw, "  Operators:\t%d\n", len(r.Operators))
	})
	for i := range r.Operators {
		p.operator(&r.Operators[i])
	}
	if n := len(r.Problems) + r.MoreProblems; n > 0 {
		p.printf("\nProblems: %d\n", n)
		for _, pr := range r.Problems {
			p.printf("  %s\n", pr)
		}
		if r.MoreProblems > 0 {
			p.printf("  ... and %d more\n", r.MoreProblems)
		}
	}
	return p.err
}

// printer writes text, keeping the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// table writes aligned columns; fill separates them with tabs.
func (p *printer) table(fill func(tw io.Writer)) {
	if p.err != nil {
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fill(tw)
	p.err = tw.Flush()
}

func (p *printer) operator(op *Operator) {
	p.printf("\nOperator %q (uid %s)\n", op.Name, op.UID)
	facts := []string{fmt.Sprintf("Parallelism %d", op.Parallelism), fmt.Sprintf("max parallelism %d", op.MaxParallelism)}
	if op.CoordinatorBytes > 0 {
		facts = append(facts, "coordinator state "+size(op.CoordinatorBytes))
	}
	facts = append(facts, "state "+size(op.StateBytes))
	if op.Finished {
		facts = append(facts, "finished")
	}
	p.printf("  %s\n", strings.Join(facts, ", "))
	if len(op.Subtasks) == 0 {
		p.printf("  No subtask state.\n")
		return
	}
	var lists int
	p.table(func(tw io.Writer) {
		_, _ = fmt.Fprintln(tw, "  SUBTASK\tKEY GROUPS\tKEYED STATE\tOPERATOR STATE")
		for _, s := range op.Subtasks {
			kgs, keyed := "-", "-"
			if s.KeyGroups != nil {
				kgs, keyed = s.KeyGroups.String(), size(s.KeyedBytes)
			}
			lists += len(s.ListStates)
			_, _ = fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", s.Index, kgs, keyed, listSummary(s.ListStates))
		}
	})
	if len(op.KeyedStates) > 0 {
		p.printf("  Keyed state, summed over key groups:\n")
		p.table(func(tw io.Writer) {
			_, _ = fmt.Fprintln(tw, "    NAME\tKIND\tENTRIES\tVALUES\tBYTES\tKEY GROUPS")
			for _, s := range op.KeyedStates {
				name := s.Name
				if s.Scope != "" {
					name += " (" + s.Scope + ")"
				}
				kind := s.Kind
				if s.TTL {
					kind += " with TTL"
				}
				_, _ = fmt.Fprintf(tw, "    %s\t%s\t%d\t%d\t%s\t%d\n", name, kind, s.Entries, s.Elements, size(s.Bytes), s.KeyGroups)
			}
		})
	}
	if lists > 0 {
		p.printf("  Operator state:\n")
		p.table(func(tw io.Writer) {
			_, _ = fmt.Fprintln(tw, "    SUBTASK\tNAME\tMODE\tELEMENTS\tBYTES")
			for _, s := range op.Subtasks {
				for _, l := range s.ListStates {
					_, _ = fmt.Fprintf(tw, "    %d\t%s\t%s\t%d\t%s\n", s.Index, l.Name, l.Mode, l.Elements, size(l.Bytes))
				}
			}
		})
	}
}

// listSummary is a subtask's operator state in one cell.
func listSummary(ls []ListState) string {
	if len(ls) == 0 {
		return "-"
	}
	var n int64
	for _, l := range ls {
		n += l.Bytes
	}
	if len(ls) == 1 {
		return "1 list, " + size(n)
	}
	return fmt.Sprintf("%d lists, %s", len(ls), size(n))
}

// size formats a byte count with a binary unit.
func size(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	const units = "KMGTPE"
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}
