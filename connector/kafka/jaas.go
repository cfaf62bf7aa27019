package kafka

import (
	"fmt"
	"strings"
)

// jaasConfig is one login module entry of a sasl.jaas.config value:
//
//	<module class> <flag> [<option>=<value> ...];
type jaasConfig struct {
	Module  string
	Flag    string
	Options map[string]string
}

const (
	plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

// jaasFlags are the control flags Kafka accepts (case-insensitively). With
// one module per client they all mean the same.
var jaasFlags = []string{"required", "requisite", "sufficient", "optional"}

// parseJAAS parses a sasl.jaas.config value the way Kafka's JaasConfig
// does: exactly one module entry ending in ';', option values quoted with
// '"' or '\” (a backslash takes the next character literally; \n, \t, \r
// and \f are control characters) or bare words, and // and /* */ comments.
//
// Errors give the byte offset and never the text around it: the value
// holds a password.
func parseJAAS(s string) (jaasConfig, error) {
	lx := jaasLexer{s: s}
	module, err := lx.next()
	if err != nil {
		return jaasConfig{}, err
	}
	if module.kind == tokEOF {
		return jaasConfig{}, fmt.Errorf("kafka: sasl.jaas.config is empty: want %s required username=\"...\" password=\"...\";", plainLoginModule)
	}
	if module.kind != tokWord {
		return jaasConfig{}, lx.errAt(module.pos, "want the login module class name first")
	}
	flag, err := lx.next()
	if err != nil {
		return jaasConfig{}, err
	}
	if flag.kind != tokWord {
		return jaasConfig{}, lx.errAt(flag.pos, "want a control flag (required) after the login module class")
	}
	known := false
	for _, f := range jaasFlags {
		if strings.EqualFold(flag.text, f) {
			known = true
		}
	}
	if !known {
		return jaasConfig{}, lx.errAt(flag.pos, fmt.Sprintf("control flag %q is not one of %s", flag.text, strings.Join(jaasFlags, ", ")))
	}
	cfg := jaasConfig{Module: module.text, Flag: strings.ToLower(flag.text), Options: map[string]string{}}
	for {
		key, err := lx.next()
		if err != nil {
			return jaasConfig{}, err
		}
		switch key.kind {
		case tokSemicolon:
			end, err := lx.next()
			if err != nil {
				return jaasConfig{}, err
			}
			if end.kind != tokEOF {
				return jaasConfig{}, lx.errAt(end.pos, "want one login module entry, found more after ';'")
			}
			return cfg, nil
		case tokEOF:
			return jaasConfig{}, lx.errAt(key.pos, "want ';' at the end of the login module entry")
		case tokWord:
		default:
			return jaasConfig{}, lx.errAt(key.pos, "want an option name")
		}
		eq, err := lx.next()
		if err != nil {
			return jaasConfig{}, err
		}
		if eq.kind != tokEquals {
			// The word may be a mistyped secret: do not repeat it.
			return jaasConfig{}, lx.errAt(eq.pos, "want '=' after an option name")
		}
		val, err := lx.next()
		if err != nil {
			return jaasConfig{}, err
		}
		if val.kind != tokWord && val.kind != tokQuoted {
			return jaasConfig{}, lx.errAt(val.pos, fmt.Sprintf("want a value for option %q", key.text))
		}
		if _, dup := cfg.Options[key.text]; dup {
			return jaasConfig{}, lx.errAt(key.pos, fmt.Sprintf("option %q is given twice", key.text))
		}
		cfg.Options[key.text] = val.text
	}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokQuoted
	tokEquals
	tokSemicolon
)

type token struct {
	kind tokKind
	text string
	pos  int
}

type jaasLexer struct {
	s   string
	pos int
}

func (lx *jaasLexer) errAt(pos int, msg string) error {
	return fmt.Errorf("kafka: sasl.jaas.config at byte %d: %s; the form is %s required username=\"...\" password=\"...\";", pos, msg, plainLoginModule)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_' || c == '$' || c >= 0x80
}

// next returns the next token, skipping white space and comments.
func (lx *jaasLexer) next() (token, error) {
	for lx.pos < len(lx.s) {
		c := lx.s[lx.pos]
		switch {
		case c <= ' ':
			lx.pos++
		case strings.HasPrefix(lx.s[lx.pos:], "//"):
			nl := strings.IndexAny(lx.s[lx.pos:], "\n\r")
			if nl < 0 {
				lx.pos = len(lx.s)
			} else {
				lx.pos += nl
			}
		case strings.HasPrefix(lx.s[lx.pos:], "/*"):
			end := strings.Index(lx.s[lx.pos+2:], "*/")
			if end < 0 {
				return token{}, lx.errAt(lx.pos, "comment is not closed with */")
			}
			lx.pos += 2 + end + 2
		case c == '=':
			lx.pos++
			return token{kind: tokEquals, pos: lx.pos - 1}, nil
		case c == ';':
			lx.pos++
			return token{kind: tokSemicolon, pos: lx.pos - 1}, nil
		case c == '"' || c == '\'':
			return lx.quoted(c)
		case isWordByte(c):
			start := lx.pos
			for lx.pos < len(lx.s) && isWordByte(lx.s[lx.pos]) {
				lx.pos++
			}
			return token{kind: tokWord, text: lx.s[start:lx.pos], pos: start}, nil
		default:
			return token{}, lx.errAt(lx.pos, "unexpected character (quote values that hold anything but letters, digits and . - _ $)")
		}
	}
	return token{kind: tokEOF, pos: lx.pos}, nil
}

func (lx *jaasLexer) quoted(q byte) (token, error) {
	start := lx.pos
	lx.pos++
	var b strings.Builder
	for lx.pos < len(lx.s) {
		c := lx.s[lx.pos]
		lx.pos++
		switch c {
		case q:
			return token{kind: tokQuoted, text: b.String(), pos: start}, nil
		case '\\':
			if lx.pos == len(lx.s) {
				return token{}, lx.errAt(start, "quoted value ends in a lone backslash")
			}
			e := lx.s[lx.pos]
			lx.pos++
			switch e {
			case 'n':
				e = '\n'
			case 't':
				e = '\t'
			case 'r':
				e = '\r'
			case 'f':
				e = '\f'
			}
			b.WriteByte(e)
		default:
			b.WriteByte(c)
		}
	}
	return token{}, lx.errAt(start, fmt.Sprintf("quoted value is not closed with %c", q))
}
