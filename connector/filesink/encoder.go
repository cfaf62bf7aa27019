package filesink

import "io"

// Encoder writes one record as one row to w, including the row's
// terminator: the sink writes nothing between rows. An error fails the
// write of that record; bytes already written stay in the part file.
type Encoder[T any] func(w io.Writer, v T) error

var newline = []byte{'\n'}

// LineEncoder writes format(v) followed by "\n" for each record.
func LineEncoder[T any](format func(T) string) Encoder[T] {
	return func(w io.Writer, v T) error {
		if _, err := io.WriteString(w, format(v)); err != nil {
			return err
		}
		_, err := w.Write(newline)
		return err
	}
}

// StringLines writes each string as one line.
func StringLines() Encoder[string] {
	return LineEncoder(func(s string) string { return s })
}
