package kafkasink_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/connector/kafka/kafkasink"
	"github.com/weirstream/weir/sink"
)

func TestSerializers(t *testing.T) {
	type point struct{ X, Y int }
	ctx := sink.Context{}
	rec := func(r *kgo.Record, err error) *kgo.Record {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := rec(kafkasink.StringValues("s").Serialize("hi", ctx)); r.Topic != "s" || string(r.Value) != "hi" || r.Key != nil {
		t.Errorf("StringValues: %+v", r)
	}
	if r := rec(kafkasink.BytesValues("b").Serialize([]byte{1, 2}, ctx)); r.Topic != "b" || string(r.Value) != "\x01\x02" {
		t.Errorf("BytesValues: %+v", r)
	}
	js := kafkasink.JSONValues("j", func(p point) ([]byte, error) { return []byte{byte(p.X)}, nil })
	if r := rec(js.Serialize(point{X: 3, Y: 4}, ctx)); r.Topic != "j" || string(r.Value) != `{"X":3,"Y":4}` || string(r.Key) != "\x03" {
		t.Errorf("JSONValues: %+v", r)
	}
	headers := &kafkasink.RecordSerializer[string]{
		TopicSelector: func(v string) string { return "t-" + v },
		Value:         kafkasink.StringEncoder[string](),
		Headers:       func(v string) []kgo.RecordHeader { return []kgo.RecordHeader{{Key: "h", Value: []byte(v)}} },
	}
	if r := rec(headers.Serialize("x", ctx)); r.Topic != "t-x" || len(r.Headers) != 1 || string(r.Headers[0].Value) != "x" {
		t.Errorf("selector and headers: %+v", r)
	}

	bad := errors.New("bad element")
	for _, tc := range []struct {
		name string
		ser  *kafkasink.RecordSerializer[string]
		want string
	}{
		{"empty topic from selector", &kafkasink.RecordSerializer[string]{TopicSelector: func(string) string { return "" }, Value: kafkasink.StringEncoder[string]()}, "returned no topic"},
		{"value error", &kafkasink.RecordSerializer[string]{Topic: "t", Value: func(string) ([]byte, error) { return nil, bad }}, "encode the value of a record for topic t"},
		{"key error", &kafkasink.RecordSerializer[string]{Topic: "t", Value: kafkasink.StringEncoder[string](), Key: func(string) ([]byte, error) { return nil, bad }}, "encode the key"},
		{"no value", &kafkasink.RecordSerializer[string]{Topic: "t"}, "no Value encoder"},
	} {
		_, err := tc.ser.Serialize("v", ctx)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Serialize = %v, want an error saying %q", tc.name, err, tc.want)
		}
		if strings.Contains(tc.name, "error") && !errors.Is(err, bad) {
			t.Errorf("%s: %v does not wrap the encoder's error", tc.name, err)
		}
	}
}

func TestParseDeliveryGuarantee(t *testing.T) {
	for in, want := range map[string]kafkasink.DeliveryGuarantee{
		"none": kafkasink.None, "at-least-once": kafkasink.AtLeastOnce, "exactly-once": kafkasink.ExactlyOnce,
		"EXACTLY_ONCE": kafkasink.ExactlyOnce, " At_Least_Once ": kafkasink.AtLeastOnce,
	} {
		if got, err := kafkasink.ParseDeliveryGuarantee(in); err != nil || got != want {
			t.Errorf("ParseDeliveryGuarantee(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got, _ := kafkasink.ParseDeliveryGuarantee(want.String()); got != want {
			t.Errorf("%v does not parse back from its String", want)
		}
	}
	if _, err := kafkasink.ParseDeliveryGuarantee("twice"); err == nil || !strings.Contains(err.Error(), "exactly-once") {
		t.Errorf("ParseDeliveryGuarantee(twice) = %v, want an error listing the values", err)
	}
}
