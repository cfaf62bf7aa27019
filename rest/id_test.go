package rest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseJobID(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "a0e2c8d1f0b34b6c9d1e2f3a4b5c6d7e", want: "a0e2c8d1f0b34b6c9d1e2f3a4b5c6d7e"},
		{in: "A0E2C8D1F0B34B6C9D1E2F3A4B5C6D7E", want: "a0e2c8d1f0b34b6c9d1e2f3a4b5c6d7e"},
		{in: "00000000000000000000000000000000", want: "00000000000000000000000000000000"},
		{in: "", wantErr: true},
		{in: "a0e2c8d1", wantErr: true},
		{in: "a0e2c8d1f0b34b6c9d1e2f3a4b5c6d7e0", wantErr: true},
		{in: "g0e2c8d1f0b34b6c9d1e2f3a4b5c6d7e", wantErr: true},
		{in: "a0e2c8d1-f0b3-4b6c-9d1e-2f3a4b5c", wantErr: true},
	}
	for _, tt := range tests {
		id, err := ParseJobID(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidID) || !strings.Contains(err.Error(), "32 hexadecimal characters") {
				t.Errorf("ParseJobID(%q) error = %v, want ErrInvalidID saying what an id looks like", tt.in, err)
			}
			continue
		}
		if err != nil || id.String() != tt.want {
			t.Errorf("ParseJobID(%q) = %v, %v; want %s", tt.in, id, err, tt.want)
		}
	}
}

func TestIDsAreRandomAndRoundTrip(t *testing.T) {
	a, b := NewJobID(), NewJobID()
	if a == b || a.IsZero() {
		t.Fatalf("NewJobID returned %s and %s", a, b)
	}
	if got, err := ParseJobID(a.String()); err != nil || got != a {
		t.Fatalf("ParseJobID(String()) = %s, %v; want %s", got, err, a)
	}
	tr := NewTriggerID()
	if got, err := ParseTriggerID(tr.String()); err != nil || got != tr {
		t.Fatalf("ParseTriggerID(String()) = %s, %v; want %s", got, err, tr)
	}
	if _, err := ParseTriggerID("nope"); !errors.Is(err, ErrInvalidID) || !strings.Contains(err.Error(), "trigger id") {
		t.Fatalf("ParseTriggerID(nope) error = %v", err)
	}
}

func TestIDsAsJSON(t *testing.T) {
	in := JobIDWithStatus{ID: NewJobID(), Status: JobRunning}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"` + in.ID.String() + `","status":"RUNNING"}`; string(b) != want {
		t.Fatalf("JSON = %s, want %s", b, want)
	}
	var out JobIDWithStatus
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v; want %+v", out, err, in)
	}
	if err := json.Unmarshal([]byte(`{"id":"xyz"}`), &out); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("bad id in JSON: error = %v, want ErrInvalidID", err)
	}
}

func FuzzParseJobID(f *testing.F) {
	for _, s := range []string{"a0e2c8d1f0b34b6c9d1e2f3a4b5c6d7e", "", "zz", "A0E2C8D1F0B34B6C9D1E2F3A4B5C6D7E", "a0e2c8d1f0b34b6c9d1e2f3a4b5c6d7\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseJobID(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(id.String(), s) {
			t.Fatalf("ParseJobID(%q) = %s", s, id)
		}
		if again, err := ParseJobID(id.String()); err != nil || again != id {
			t.Fatalf("reparse of %s = %s, %v", id, again, err)
		}
	})
}
