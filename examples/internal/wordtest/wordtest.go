package wordtest

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// spaces are separators: each is white space by unicode.IsSpace, several
// of them outside ASCII.
var spaces = []string{" ", "  ", "\t", " \t ", "\v", "\f", "\r", "\u00a0", "\u0085", "\u1680", "\u2003", "\u2028", "\u202f", "\u3000"}

// wordRunes make up words. U+200B (zero width space) and U+FEFF are not
// white space and must stay inside words; the Kelvin sign lowercases to an
// ASCII k, so "K", "k" and "\u212a" are the same word.
var wordRunes = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
	"éÉßẞΣσςЖжİıÅå日本語🙂,-'\u212a\u200b\ufeff")

// Vocabulary returns n distinct random words.
func Vocabulary(r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	var words []string
	for len(words) < n {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteRune(wordRunes[r.IntN(len(wordRunes))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// recase changes the case of each rune at random.
func recase(r *rand.Rand, w string) string {
	var b strings.Builder
	for _, c := range w {
		switch r.IntN(3) {
		case 0:
			c = unicode.ToUpper(c)
		case 1:
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// GenLines returns n random lines (without newlines): empty lines,
// white-space-only lines and lines of up to 8 words drawn with a skewed
// distribution, so that a few words occur tens of thousands of times.
func GenLines(r *rand.Rand, vocab []string, n int) []string {
	lines := make([]string, 0, n)
	for range n {
		var b strings.Builder
		switch k := r.IntN(100); {
		case k < 4:
		case k < 6:
			b.WriteString(spaces[r.IntN(len(spaces))])
		default:
			if r.IntN(4) == 0 {
				b.WriteString(spaces[r.IntN(len(spaces))])
			}
			for i := range 1 + r.IntN(8) {
				if i > 0 {
					b.WriteString(spaces[r.IntN(len(spaces))])
				}
				f := r.Float64()
				b.WriteString(recase(r, vocab[int(f*f*f*float64(len(vocab)))]))
			}
			if r.IntN(4) == 0 {
				b.WriteString(spaces[r.IntN(len(spaces))])
			}
		}
		lines = append(lines, b.String())
	}
	return lines
}

// OracleWords splits like the contract says, written as its own rune loop:
// words are maximal runs of runes that are not unicode.IsSpace, each
// lowercased rune by rune.
func OracleWords(line string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for _, c := range line {
		if unicode.IsSpace(c) {
			flush()
			continue
		}
		cur = append(cur, unicode.ToLower(c))
	}
	flush()
	return words
}

// OracleCounts is how often each word occurs in lines.
func OracleCounts(lines []string) map[string]int {
	counts := map[string]int{}
	for _, l := range lines {
		for _, w := range OracleWords(l) {
			counts[w]++
		}
	}
	return counts
}

// NewRand returns a random source seeded from the clock, logging the seed
// so a failure can be replayed.
func NewRand(t testing.TB) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed>>7^0x9e3779b97f4a7c15))
}

// CheckExactlyOnce checks "word,count" lines of a word count's committed
// output: every word of want has each count 1..want[word] exactly once,
// and nothing else is there.
func CheckExactlyOnce(t testing.TB, lines []string, want map[string]int) {
	t.Helper()
	got := map[string][]int{}
	for _, line := range lines {
		i := strings.LastIndexByte(line, ',')
		if i < 0 {
			t.Fatalf("bad line %q: no ','", line)
		}
		n, err := strconv.Atoi(line[i+1:])
		if err != nil {
			t.Fatalf("bad line %q: the count is not a number", line)
		}
		got[line[:i]] = append(got[line[:i]], n)
	}
	bad := 0
	for w, n := range want {
		counts := got[w]
		slices.Sort(counts)
		ok := len(counts) == n
		for i := 0; ok && i < n; i++ {
			ok = counts[i] == i+1
		}
		if !ok {
			if bad++; bad <= 10 {
				show := counts
				if len(show) > 12 {
					show = show[:12]
				}
				t.Errorf("word %q: committed counts %v (%d values), want 1..%d once each", w, show, len(counts), n)
			}
		}
		delete(got, w)
	}
	for w := range got {
		t.Errorf("committed output has word %q, which the input does not have", w)
	}
	if bad > 10 {
		t.Errorf("... and %d more words", bad-10)
	}
}
