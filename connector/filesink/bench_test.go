package filesink

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/weirstream/weir/sink"
)

// BenchmarkWriteLines writes 1e6 short lines per iteration through a writer
// with the default rolling policy, through to finished parts; the reported
// MB/s is line bytes (with newlines) per second.
func BenchmarkWriteLines(b *testing.B) {
	const n = 1_000_000
	lines := make([]string, n)
	var total int64
	for i := range lines {
		lines[i] = fmt.Sprintf("record-%07d,value=%d", i, i%1000)
		total += int64(len(lines[i]) + 1)
	}
	base := b.TempDir()
	s := New(base, StringLines())
	b.SetBytes(total)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.dir = filepath.Join(base, fmt.Sprint(i))
		w, err := s.CreateWriter(&fakeInit{parallelism: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range lines {
			if err := w.Write(l, sink.Context{}); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(true); err != nil {
			b.Fatal(err)
		}
		cw := w.(*Writer[string])
		if cs, err := cw.PrepareCommit(); err != nil || len(cs) != 1 {
			b.Fatalf("PrepareCommit = %d parts, %v", len(cs), err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
