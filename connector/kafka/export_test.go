package kafka

// SpecKeys are the client keys ClientOpts understands, in docs order.
func SpecKeys() []string {
	keys := make([]string, len(specs))
	for i, s := range specs {
		keys[i] = s.Key
	}
	return keys
}

// DocRowPrefix is how the row of key in docs/kafka.md begins: key,
// franz-go option and default.
func DocRowPrefix(key string) string {
	s := specByKey[key]
	return "| `" + s.Key + "` | " + s.Maps + " | " + s.Default + " |"
}
