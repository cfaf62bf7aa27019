package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// LoadYAML reads a Flink-style configuration file; see [ParseYAML].
func LoadYAML(path string) (*Configuration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseYAML(data, path)
}

// ParseYAML parses a Flink-style YAML configuration. Nested maps are
// flattened with '.', so "parallelism.default: 2" and "parallelism:\n
// default: 2" are equivalent (setting a key both ways is an error). Scalars
// become strings, lists become Flink's ';'-joined form and maps inside lists
// Flink's "k:v,k:v" form. Unknown keys and invalid values are errors naming
// source; all of them are reported at once.
func ParseYAML(data []byte, source string) (*Configuration, error) {
	if source == "" {
		source = "<yaml>"
	}
	var v any
	// UseNumber keeps numbers as written (no float64 rounding of big ints);
	// strict mode rejects a key repeated in one mapping instead of silently
	// keeping the last.
	useNumber := func(d *json.Decoder) *json.Decoder { d.UseNumber(); return d }
	if err := yaml.UnmarshalStrict(data, &v, useNumber); err != nil {
		return nil, fmt.Errorf("config: parsing %s: %w", source, err)
	}
	doc, ok := v.(map[string]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("config: parsing %s: top level must be a mapping of keys to values", source)
	}
	flat := map[string]string{}
	if err := flatten("", doc, flat); err != nil {
		return nil, fmt.Errorf("config: %s: %w", source, err)
	}
	c := New()
	if err := c.setAll(flat, source); err != nil {
		return nil, err
	}
	return c, nil
}

func flatten(prefix string, m map[string]any, out map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := m[k].(map[string]any); ok {
			if err := flatten(key, sub, out); err != nil {
				return err
			}
			continue
		}
		s, err := yamlValue(m[k])
		if err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
		if _, dup := out[key]; dup {
			return fmt.Errorf("key %q is set more than once", key)
		}
		out[key] = s
	}
	return nil
}

func yamlValue(v any) (string, error) {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			var err error
			if m, ok := e.(map[string]any); ok {
				parts[i], err = yamlMapItem(m)
			} else {
				parts[i], err = yamlScalar(e)
			}
			if err != nil {
				return "", err
			}
		}
		return strings.Join(parts, ";"), nil
	default:
		return yamlScalar(v)
	}
}

func yamlMapItem(m map[string]any) (string, error) {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s, err := yamlScalar(m[k])
		if err != nil {
			return "", err
		}
		parts = append(parts, k+":"+s)
	}
	return strings.Join(parts, ","), nil
}

func yamlScalar(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	}
	return "", fmt.Errorf("unsupported nesting: expected a scalar, list of scalars or list of maps")
}
