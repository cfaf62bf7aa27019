package config

import (
	"fmt"
	"strings"
)

// Markdown renders every registered option as the reference table of
// docs/configuration.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Configuration\n\n")
	b.WriteString("Every key weir knows, generated from the option registry (`config.Known()`);\n")
	b.WriteString("`go test ./docs -run TestConfigurationDoc -update` rewrites this file.\n")
	b.WriteString("Set keys in `$WEIR_CONF_DIR/config.yaml` or `--config FILE` (nested or dotted\n")
	b.WriteString("YAML keys), with `-D key=value` arguments, or from code; later sources win.\n")
	b.WriteString("Durations take Flink's forms (`100 ms`, `10s`, `1 min`) or Go's (`1m30s`).\n\n")
	b.WriteString("| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, o := range Known() {
		typ := o.Type
		if len(o.Allowed) > 0 {
			typ = "enum: " + strings.Join(o.Allowed, ", ")
		}
		def := o.Default
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", o.Key, typ, def, strings.ReplaceAll(o.Description, "|", `\|`))
	}
	if ps := KnownPrefixes(); len(ps) > 0 {
		b.WriteString("\nKey prefixes passed through to a component, which checks the keys under them:\n\n")
		b.WriteString("| Prefix | Description |\n|---|---|\n")
		for _, p := range ps {
			fmt.Fprintf(&b, "| `%s*` | %s |\n", p.Prefix, strings.ReplaceAll(p.Description, "|", `\|`))
		}
	}
	return b.String()
}
