package codec

import "testing"

type split struct {
	ID     string
	Offset int64
}

func TestRoundTrip(t *testing.T) {
	in := split{ID: "file-1:0", Offset: 42}
	for name, c := range map[string]Codec[split]{"json": JSON[split]{}, "gob": Gob[split]{}} {
		b, err := c.Encode(in)
		if err != nil {
			t.Fatalf("%s encode: %v", name, err)
		}
		out, err := c.Decode(b)
		if err != nil || out != in {
			t.Fatalf("%s: got %+v, %v; want %+v", name, out, err, in)
		}
		if _, err := c.Decode([]byte{0xff, 0x01}); err == nil {
			t.Fatalf("%s: decoding garbage succeeded", name)
		}
	}
}

func FuzzJSONDecode(f *testing.F) {
	f.Add([]byte(`{"ID":"a","Offset":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = JSON[split]{}.Decode(b)
		_, _ = Gob[split]{}.Decode(b)
	})
}
