package kafka

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/weirstream/weir/config"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Properties are Kafka client settings under Kafka's own names
// ("bootstrap.servers", "client.id", "security.protocol",
// "sasl.mechanism", "sasl.jaas.config", "ssl.ca.location", "linger.ms",
// ...). docs/kafka.md lists every key ClientOpts understands, what it maps
// to in franz-go and its default.
//
// Connector keys (group.id, auto.offset.reset, enable.auto.commit,
// auto.commit.interval.ms, isolation.level, transactional.id,
// partition.discovery.interval.ms, commit.offsets.on.checkpoint,
// client.id.prefix) are not client settings: the source or sink that
// understands one takes it out with Split before calling ClientOpts, and
// ClientOpts rejects any that is left, so a key no connector reads is an
// error instead of being ignored.
type Properties map[string]string

// PropertiesPrefix marks the configuration keys (-D, --config YAML) that
// are Kafka properties, as in Flink's Kafka table connector
// ("properties.bootstrap.servers").
const PropertiesPrefix = "properties."

func init() {
	config.RegisterPrefix(PropertiesPrefix,
		"Kafka client and connector properties under Kafka's own names, for jobs that build their Kafka source "+
			"or sink with kafka.FromConfig (docs/kafka.md lists every key).", checkKey)
}

// checkKey accepts the names ClientOpts or a connector understands, so a
// typo in -D properties.<key> fails when the configuration is read.
// Values are checked when the connector builds its client.
func checkKey(key, _ string) error {
	if _, ok := specByKey[key]; ok {
		return nil
	}
	if _, ok := connectorKeys[key]; ok {
		return nil
	}
	return unknownKeyError(key)
}

// FromConfig returns the properties set in c under PropertiesPrefix
// (prefix stripped).
func FromConfig(c *config.Configuration) Properties {
	return Properties(c.WithPrefix(PropertiesPrefix))
}

// Get returns the value of key and whether it is set.
func (p Properties) Get(key string) (string, bool) {
	v, ok := p[key]
	return v, ok
}

// Split returns p without keys, and the values of those keys that were
// set. A source or sink calls it with the connector keys it interprets,
// then passes the rest to ClientOpts. p is not changed.
func (p Properties) Split(keys ...string) (client Properties, taken map[string]string) {
	client = maps.Clone(p)
	if client == nil {
		client = Properties{}
	}
	taken = map[string]string{}
	for _, k := range keys {
		if v, ok := client[k]; ok {
			taken[k] = v
			delete(client, k)
		}
	}
	return client, taken
}

// Brokers returns bootstrap.servers split on commas, white space trimmed
// and empty entries dropped.
func (p Properties) Brokers() []string {
	var out []string
	for b := range strings.SplitSeq(p["bootstrap.servers"], ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// String lists the properties sorted by key with secrets masked, so that
// Properties can be logged.
func (p Properties) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(p)) {
		if i > 0 {
			b.WriteString(", ")
		}
		v := p[k]
		if secretKeys[k] {
			v = "******"
		}
		fmt.Fprintf(&b, "%s=%s", k, v)
	}
	b.WriteByte('}')
	return b.String()
}

// secretKeys are never echoed, in String or in errors.
var secretKeys = map[string]bool{
	"sasl.password":    true,
	"sasl.jaas.config": true,
}

// ClientOpts turns p into franz-go options, seed brokers included. Unknown
// keys and bad values are errors naming the key, the value and what is
// accepted; an unknown key's error suggests the closest known key. Files
// named by ssl.* keys are read now, so a missing or malformed file fails
// here and not on the first connection.
//
// Options a caller appends after these override them (franz-go applies
// options in order); a connector that sets its own client id should first
// check whether client.id is set.
func (p Properties) ClientOpts() ([]kgo.Opt, error) {
	s := newSettings()
	for _, k := range slices.Sorted(maps.Keys(p)) {
		spec, ok := specByKey[k]
		if !ok {
			return nil, unknownKeyError(k)
		}
		v := p[k]
		if !secretKeys[k] {
			v = strings.TrimSpace(v)
		}
		if err := spec.set(s, v); err != nil {
			if r, ok := errors.AsType[errRange](err); ok {
				return nil, badValue(k, v, r.Error())
			}
			return nil, err
		}
	}
	return s.finish()
}
