package plots

import (
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// Labels come from files (a scenario's annotations, an event log's notes),
// and a control character or a byte that is not UTF-8 in them would make
// the SVG invalid XML (XML 1.0 allows neither). The scenario parser refuses
// them, but a log can be edited, so every piece of text is cleaned where it
// is drawn: all text styles use safeText.

// safeText is gonum's default text handler over cleaned text.
type safeText struct{ text.Handler }

var safeHandler text.Handler = safeText{plot.DefaultTextHandler}

func (h safeText) Lines(txt string) []string { return h.Handler.Lines(cleanText(txt)) }

func (h safeText) Box(txt string, fnt font.Font) (w, ht, d vg.Length) {
	return h.Handler.Box(cleanText(txt), fnt)
}

func (h safeText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	h.Handler.Draw(c, cleanText(txt), sty, pt)
}

// cleanText replaces what XML cannot hold with U+FFFD: control characters
// other than the newline (which breaks lines), C1 controls, U+FFFE/U+FFFF
// and invalid UTF-8. A tab becomes a space.
func cleanText(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t':
			b.WriteByte(' ')
		case badRune(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsCleaning(s string) bool {
	for _, r := range s { // invalid UTF-8 decodes as RuneError
		if r == utf8.RuneError || r == '\t' || badRune(r) {
			return true
		}
	}
	return false
}

func badRune(r rune) bool {
	return r < 0x20 && r != '\n' || r >= 0x7f && r <= 0x9f || r == 0xFFFE || r == 0xFFFF
}
