package socket

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/eventtime"
	"github.com/weirstream/weir/source"
	"github.com/weirstream/weir/source/sourcetest"
)

var noWatermarks = eventtime.NoWatermarks[string]()

// expectedRecords is the reference framing: records end at delim, a final
// record without delim counts unless empty, and with '\n' a trailing '\r'
// is dropped.
func expectedRecords(data []byte, delim byte) []string {
	if len(data) == 0 {
		return nil
	}
	parts := strings.Split(string(data), string([]byte{delim}))
	if data[len(data)-1] == delim {
		parts = parts[:len(parts)-1]
	}
	if delim == '\n' {
		for i, p := range parts {
			parts[i] = strings.TrimSuffix(p, "\r")
		}
	}
	return parts
}

// frame feeds data in chunks of the given sizes (cycled) and flushes.
func frame(data []byte, delim byte, chunks []int, max int) ([]string, error) {
	f := &framer{name: "test", delim: delim, max: max}
	var out []string
	var err error
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(chunks) > 0 {
			n = min(max1(chunks[i%len(chunks)]), len(data))
		}
		if out, err = f.feed(data[:n], out); err != nil {
			return out, err
		}
		data = data[n:]
	}
	if last, ok := f.flush(); ok {
		out = append(out, last)
	}
	return out, nil
}

func max1(n int) int { return max(n, 1) }

func TestFramer(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		delim  byte
		chunks []int
		want   []string
	}{
		{"empty", "", '\n', nil, nil},
		{"lines", "a\nbb\nccc\n", '\n', []int{1}, []string{"a", "bb", "ccc"}},
		{"crlf", "a\r\nb\r\n", '\n', []int{2, 3}, []string{"a", "b"}},
		{"cr kept for other delimiters", "a\r;b;", ';', nil, []string{"a\r", "b"}},
		{"final record without delimiter", "x\ny", '\n', []int{1}, []string{"x", "y"}},
		{"empty records", "\n\n", '\n', nil, []string{"", ""}},
		{"record across chunks", "hello world\n", '\n', []int{3}, []string{"hello world"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := frame([]byte(tt.data), tt.delim, tt.chunks, 1<<20)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFramerRecordTooLong(t *testing.T) {
	tests := []struct {
		data    string
		chunks  []int
		wantErr bool
	}{
		{"12345\n", nil, false},
		{"123456\n", nil, true},
		{"ok\n123456", []int{1}, true},
		{"ok\n12345", []int{2}, false},
	}
	for _, tt := range tests {
		_, err := frame([]byte(tt.data), '\n', tt.chunks, 5)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: error %v, want error %v", tt.data, err, tt.wantErr)
		}
		if err != nil && (!strings.Contains(err.Error(), "longer than 5 bytes") || !strings.Contains(err.Error(), "record at byte")) {
			t.Errorf("%q: error %v", tt.data, err)
		}
	}
}

func FuzzFramer(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), byte('\n'), []byte{1, 2})
	f.Add([]byte("x;y;;z"), byte(';'), []byte{3})
	f.Fuzz(func(t *testing.T, data []byte, delim byte, chunkBytes []byte) {
		chunks := make([]int, len(chunkBytes))
		for i, c := range chunkBytes {
			chunks[i] = int(c)
		}
		got, err := frame(data, delim, chunks, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if want := expectedRecords(data, delim); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

func TestEnumeratorGivesTheSplitToSubtaskZero(t *testing.T) {
	src := FromReader("input", strings.NewReader(""))
	e, ctx := sourcetest.StartEnumerator(t, src, 3)
	e.AddReader(2)
	e.AddReader(0)
	e.HandleSplitRequest(0, "")
	e.HandleSplitRequest(2, "")
	e.AddReader(1)
	if len(ctx.Assigned[0]) != 1 || len(ctx.Assigned[1])+len(ctx.Assigned[2]) != 0 {
		t.Fatalf("assigned %+v", ctx.Assigned)
	}
	if ctx.NoMore[0] != 1 || ctx.NoMore[1] != 1 || ctx.NoMore[2] != 1 {
		t.Fatalf("no-more-splits %v", ctx.NoMore)
	}
	if cp, _ := e.SnapshotState(1); len(cp.Remaining) != 0 {
		t.Fatalf("checkpoint %+v", cp)
	}
	// Subtask 0 fails: its split waits for the new reader 0.
	delete(ctx.Registered, 0)
	e.AddSplitsBack(ctx.Assigned[0], 0)
	cp, _ := e.SnapshotState(2)
	if len(cp.Remaining) != 1 {
		t.Fatalf("checkpoint after failure %+v", cp)
	}
	ctx.Registered[0] = source.ReaderInfo{}
	e.AddReader(0)
	if len(ctx.Assigned[0]) != 2 || ctx.NoMore[0] != 2 {
		t.Fatalf("after re-registration: assigned %+v, no-more %v", ctx.Assigned[0], ctx.NoMore)
	}

	// A restored enumerator holding the split gives it to subtask 0.
	e2, ctx2 := sourcetest.RestoreEnumerator(t, src, cp, 2)
	e2.AddReader(1)
	e2.AddReader(0)
	if len(ctx2.Assigned[0]) != 1 || ctx2.Assigned[0][0] != cp.Remaining[0] {
		t.Fatalf("restored: %+v", ctx2.Assigned)
	}
}

func TestConfigurationErrors(t *testing.T) {
	tests := []struct {
		name string
		src  *Source
		want string
	}{
		{"bad address", TextStream("localhost", '\n'), `address "localhost" is not host:port`},
		{"nil reader", FromReader("x", nil), `reader "x" is nil`},
		{"negative delay", TextStream("localhost:1", '\n').WithRetryDelay(-time.Second), "retry delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.CheckRejected(t, tt.src, tt.want)
		})
	}
}

func TestBoundedness(t *testing.T) {
	if Stdin().Boundedness() != source.Bounded || FromReader("r", strings.NewReader("")).Boundedness() != source.Bounded {
		t.Fatal("readers end at EOF: bounded")
	}
	if TextStream("localhost:9999", '\n').Boundedness() != source.ContinuousUnbounded {
		t.Fatal("a socket is unbounded")
	}
}

func TestEndToEndReader(t *testing.T) {
	var input bytes.Buffer
	var want []string
	for i := range 5000 {
		fmt.Fprintf(&input, "line %d\r\n", i)
		want = append(want, fmt.Sprintf("line %d", i))
	}
	input.WriteString("last")
	want = append(want, "last")
	j, err := sourcetest.Run(t, FromReader("input", &input), noWatermarks, 3, sourcetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := j.Records()
	if !slices.Equal(recs[0], want) {
		t.Fatalf("subtask 0 got %d records, want %d in order", len(recs[0]), len(want))
	}
	if len(recs[1])+len(recs[2]) != 0 {
		t.Fatal("subtasks other than 0 emitted records")
	}
}

// serve accepts one connection on a fresh local listener and writes the
// chunks to it with pauses, then closes it.
func serve(t *testing.T, chunks ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for _, ch := range chunks {
			if _, err := io.WriteString(c, ch); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return ln.Addr().String()
}

func TestEndToEndSocket(t *testing.T) {
	tests := []struct {
		name   string
		delim  byte
		chunks []string
		want   []string
	}{
		{"lines", '\n', []string{"hello\r\nwor", "ld\n", "\nbye"}, []string{"hello", "world", "", "bye"}},
		{"custom delimiter", '|', []string{"a|b", "|c|"}, []string{"a", "b", "c"}},
		{"nothing", '\n', nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, tt.chunks...)
			// The job ends when the server closes the connection.
			j, err := sourcetest.Run(t, TextStream(addr, tt.delim), noWatermarks, 2, sourcetest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			recs := j.Records()
			if !slices.Equal(recs[0], tt.want) || len(recs[1]) != 0 {
				t.Fatalf("got %q and %q, want %q", recs[0], recs[1], tt.want)
			}
		})
	}
}

// freeAddr returns a local address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConnectFailsAfterRetries(t *testing.T) {
	addr := freeAddr(t)
	src := TextStream(addr, '\n').WithMaxRetries(2).WithRetryDelay(10 * time.Millisecond)
	j := sourcetest.Start(t, src, noWatermarks, 1, sourcetest.Options{})
	start := time.Now()
	err := j.Run()
	if stopErr := j.Stop(); stopErr != nil {
		t.Fatal(stopErr)
	}
	if err == nil || !strings.Contains(err.Error(), "cannot connect to "+addr+" after 3 attempt(s)") {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("gave up after %v: no retry delay", d)
	}
}

func TestConnectRetriesUntilServerIsUp(t *testing.T) {
	addr := freeAddr(t)
	src := TextStream(addr, '\n').WithMaxRetries(-1).WithRetryDelay(10 * time.Millisecond)
	j := sourcetest.Start(t, src, noWatermarks, 1, sourcetest.Options{})
	done := make(chan error, 1)
	go func() { done <- j.Run() }()
	time.Sleep(50 * time.Millisecond)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	// A source that never connects fails the test instead of hanging it.
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "late\n")
	c.Close()
	ln.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := j.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := j.Output(0).Values(); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("got %q", got)
	}
}

func TestCancelWhileWaitingForData(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.WriteString(c, "one\n")
			accepted <- c
		}
	}()
	j := sourcetest.Start(t, TextStream(ln.Addr().String(), '\n'), noWatermarks, 1, sourcetest.Options{})
	done := make(chan error, 1)
	go func() { done <- j.Run() }()
	var c net.Conn
	select {
	case c = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the source did not connect")
	}
	defer c.Close()
	for j.Len() < 1 {
		time.Sleep(time.Millisecond)
	}
	j.Interrupt()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Closing must interrupt the fetcher blocked in Read on a silent
	// connection.
	stopped := make(chan error, 1)
	go func() { stopped <- j.Stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing the reader hangs on a blocked read")
	}
}
