package kafka

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseJAAS(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    jaasConfig
		wantErr string
	}{
		{
			name: "plain as Flink users write it",
			in:   `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr=t;";`,
			want: jaasConfig{Module: plainLoginModule, Flag: "required", Options: map[string]string{"username": "alice", "password": "s3cr=t;"}},
		},
		{
			name: "scram with single quotes, escapes, comments and line breaks",
			in: "org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED // login\n" +
				"  username='bob' /* the user */ password=\"a\\\"b\\\\c\\n\"\n  tokenauth=true ;  ",
			want: jaasConfig{Module: scramLoginModule, Flag: "required", Options: map[string]string{"username": "bob", "password": "a\"b\\c\n", "tokenauth": "true"}},
		},
		{
			name: "no options",
			in:   `org.apache.kafka.common.security.plain.PlainLoginModule optional;`,
			want: jaasConfig{Module: plainLoginModule, Flag: "optional", Options: map[string]string{}},
		},
		{
			name: "unquoted values and an empty password",
			in:   `m.Mod sufficient username=alice password="";`,
			want: jaasConfig{Module: "m.Mod", Flag: "sufficient", Options: map[string]string{"username": "alice", "password": ""}},
		},
		{name: "empty", in: "  ", wantErr: "is empty"},
		{name: "only a comment", in: "// nothing", wantErr: "is empty"},
		{name: "missing flag", in: `m.Mod username="u";`, wantErr: `control flag "username"`},
		{name: "quoted flag", in: `m.Mod "required";`, wantErr: "want a control flag"},
		{name: "missing semicolon", in: `m.Mod required username="u" password="p"`, wantErr: "want ';'"},
		{name: "two modules", in: `m.Mod required; n.Mod required;`, wantErr: "one login module entry"},
		{name: "missing equals", in: `m.Mod required username "u";`, wantErr: "want '='"},
		{name: "missing value", in: `m.Mod required username=;`, wantErr: `value for option "username"`},
		{name: "duplicate option", in: `m.Mod required username=a username=b;`, wantErr: "given twice"},
		{name: "unclosed quote", in: `m.Mod required password="p;`, wantErr: "not closed"},
		{name: "lone backslash", in: `m.Mod required password="p\`, wantErr: "lone backslash"},
		{name: "unclosed comment", in: `m.Mod required /* x`, wantErr: "comment is not closed"},
		{name: "stray character", in: `m.Mod required password=p#ss;`, wantErr: "unexpected character"},
		{name: "module not a word", in: `= required;`, wantErr: "login module class name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJAAS(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseJAAS(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "kafka: sasl.jaas.config") {
					t.Fatalf("error %q does not name sasl.jaas.config", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJAAS(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseJAAS(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// The errors of the parser never repeat the secret, wherever it breaks.
func TestParseJAASErrorsHideValues(t *testing.T) {
	const secret = "hunter2"
	for _, in := range []string{
		`m.Mod required password="hunter2`,
		`m.Mod required password="hunter2" x`,
		`m.Mod required password=hunter2#`,
		`m.Mod required hunter2 password=x;`,
		`m.Mod required password="hunter2"; more`,
		`m.Mod required password hunter2;`,
	} {
		_, err := parseJAAS(in)
		if err == nil {
			t.Fatalf("parseJAAS(%q) accepted a broken entry", in)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("parseJAAS(%q) error leaks the secret: %v", in, err)
		}
	}
}

// formatJAAS renders cfg so that parseJAAS reads cfg back, options in
// sorted order.
func formatJAAS(cfg jaasConfig) string {
	var b strings.Builder
	b.WriteString(cfg.Module + " " + cfg.Flag)
	for _, k := range slices.Sorted(maps.Keys(cfg.Options)) {
		b.WriteString(" " + k + `="`)
		v := cfg.Options[k]
		for i := 0; i < len(v); i++ {
			switch c := v[i]; c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			case '\f':
				b.WriteString(`\f`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte(';')
	return b.String()
}

// FuzzParseJAAS checks that the parser never panics, that what it accepts
// is well formed, and that formatting an accepted entry and parsing it
// again gives the same entry.
func FuzzParseJAAS(f *testing.F) {
	for _, seed := range []string{
		`org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`,
		`org.apache.kafka.common.security.scram.ScramLoginModule required username='u' password="p\"q" tokenauth=true;`,
		"m required // c\n a=b /* c */ ;",
		`m required a="\n\t\\";`,
		`m required a=;`,
		`"m" required;`,
		`m required a="x`,
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cfg, err := parseJAAS(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "kafka: sasl.jaas.config") {
				t.Fatalf("error %q does not name sasl.jaas.config", err)
			}
			return
		}
		if cfg.Module == "" || !slices.Contains(jaasFlags, cfg.Flag) || cfg.Options == nil {
			t.Fatalf("parseJAAS(%q) accepted a malformed entry %+v", in, cfg)
		}
		again, err := parseJAAS(formatJAAS(cfg))
		if err != nil {
			t.Fatalf("formatted %+v does not parse: %v", cfg, err)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("round trip of %q: %+v became %+v", in, cfg, again)
		}
	})
}

func TestClosestKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bootstrap.server", "bootstrap.servers"},
		{"bootstrap_servers", "bootstrap.servers"},
		{"sasl.mechanisms", "sasl.mechanism"},
		{"ssl.ca.locaton", "ssl.ca.location"},
		{"linger", "linger.ms"},
		{"group.ids", "group.id"},
		{"compression.codec", "compression.type"},
		{"completely.unrelated.thing.here", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := closestKey(tt.in); got != tt.want {
			t.Errorf("closestKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRetryBackoff(t *testing.T) {
	fn := retryBackoff(100e6, 1e9) // 100ms to 1s
	for _, tt := range []struct {
		fails int
		base  float64 // seconds before jitter
	}{{0, 0.1}, {1, 0.1}, {2, 0.2}, {3, 0.4}, {4, 0.8}, {5, 1}, {40, 1}} {
		for range 20 {
			got := fn(tt.fails).Seconds()
			if got < 0.8*tt.base-1e-9 || got > 1.2*tt.base+1e-9 {
				t.Fatalf("backoff after %d failures = %vs, want %vs ±20%%", tt.fails, got, tt.base)
			}
		}
	}
}
