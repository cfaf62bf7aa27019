package filesink

import (
	"bytes"
	"strconv"
	"testing"
)

func TestEncoders(t *testing.T) {
	var buf bytes.Buffer
	for _, s := range []string{"a", "", "b c"} {
		if err := StringLines()(&buf, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := LineEncoder(strconv.Itoa)(&buf, 42); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "a\n\nb c\n42\n"; got != want {
		t.Fatalf("encoded %q, want %q", got, want)
	}
}
