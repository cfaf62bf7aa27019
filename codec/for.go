package codec

// For returns the default codec for T, used for state and in-flight data
// when the user sets none.
func For[T any]() Codec[T] { return Gob[T]{} }

// Any adapts c to values of static type any holding a T, for runtime
// parts that handle keys and namespaces without knowing their type.
func Any[T any](c Codec[T]) Codec[any] { return anyCodec[T]{c} }

type anyCodec[T any] struct{ c Codec[T] }

func (a anyCodec[T]) Encode(v any) ([]byte, error) {
	t, ok := v.(T)
	if !ok {
		var want T
		return nil, &TypeError{Got: v, Want: want}
	}
	return a.c.Encode(t)
}

func (a anyCodec[T]) Decode(b []byte) (any, error) { return a.c.Decode(b) }

// TypeError reports a value of another type than a codec handles.
type TypeError struct{ Got, Want any }

func (e *TypeError) Error() string {
	return "codec: cannot encode a " + typeName(e.Got) + " with a codec for " + typeName(e.Want)
}
