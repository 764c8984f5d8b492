package plots

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manyAnnotations is a log with n annotations spread over a 10-day run
// and one token, labels carrying control characters and bad UTF-8.
func manyAnnotations(n int, label string) string {
	var b strings.Builder
	b.WriteString(`{"version":1,"scenario":"many","description":"","seed":1,"start":"2024-01-01T00:00:00Z","horizon_seconds":864000,` +
		`"services":[{"service":"api","replicas":2,"demand_per_second":10}],"annotations":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		l, _ := json.Marshal(fmt.Sprintf(label, i))
		fmt.Fprintf(&b, `{"t":%d,"label":%s}`, i*864000/max(n, 1), l)
	}
	b.WriteString("]}\n")
	b.WriteString(`{"t":0,"kind":"issue","entity":"broker#1","entity_kind":"token","actor":"broker","ttl":3600,"expire_t":3600,"hard_end_t":7200}` + "\n")
	b.WriteString(`{"t":3600,"kind":"end","entity":"broker#1","entity_kind":"token","actor":"broker","cause":"expired"}` + "\n")
	return b.String()
}

func renderAll(t *testing.T, r *Run, format string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, c := range Charts {
		p, err := Chart(r, c, "")
		require.NoError(t, err, c)
		var buf bytes.Buffer
		require.NoError(t, Render(&buf, p, format, SlideWidth, SlideHeight), c)
		out[c] = buf.Bytes()
	}
	return out
}

// Issue 13: 10,000 annotations took 62 s to draw, each label a raster
// pass. Above maxNumberedMarkers they are one stroked path: what is drawn
// no longer grows with them, and the legend says how many there are.
func TestManyAnnotationsDrawInBoundedWork(t *testing.T) {
	count := func(n int) (texts int, svg string) {
		r, err := ReadEvents(strings.NewReader(manyAnnotations(n, "note %d")))
		require.NoError(t, err)
		s := string(renderAll(t, r, "svg")["live"])
		return strings.Count(s, "<text"), s
	}
	small, _ := count(maxNumberedMarkers + 1)
	large, svg := count(10000)
	assert.Equal(t, small, large, "the text drawn does not grow with the annotations")
	assert.True(t, strings.Contains(svg, ">10,000 annotations in view"), "the legend says how many annotations there are")
	assert.False(t, strings.Contains(svg, "note 9999"), "no annotation is listed")
	_, svg = count(3)
	assert.True(t, strings.Contains(svg, ">Jan 7 16:00 note 2<"), "a few annotations are listed")

	r, err := ReadEvents(strings.NewReader(manyAnnotations(10000, "note %d")))
	require.NoError(t, err)
	start := time.Now()
	renderAll(t, r, "png")
	assert.Less(t, time.Since(start), 20*time.Second, "four slide PNGs with 10,000 annotations (about 2 s on an idle laptop)")
}

// A NUL, other control characters or bytes that are not UTF-8 in a label
// (an edited log) must not make the SVG invalid XML.
func TestControlCharactersKeepSVGValidXML(t *testing.T) {
	log := manyAnnotations(3, "bell\a nul\x00 esc\x1b tab\t del\x7f c1\u0085 %d")
	log = strings.Replace(log, `"scenario":"many"`, `"scenario":"bad\u0000name\ufffe"`, 1)
	log = strings.Replace(log, `"label":"bell`, "\"label\":\"\xff\xfe raw ", 1) // invalid UTF-8, unescaped
	r, err := ReadEvents(strings.NewReader(log))
	require.NoError(t, err)
	for c, svg := range renderAll(t, r, "svg") {
		dec := xml.NewDecoder(bytes.NewReader(svg))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "%s.svg is not valid XML", c)
		}
		if c != "renewal" { // the one chart without annotations
			assert.True(t, strings.Contains(string(svg), "bell\uFFFD nul\uFFFD esc\uFFFD tab del\uFFFD"), "%s: replaced, not dropped", c)
		}
	}
	assert.Equal(t, "a\nb \uFFFD\uFFFD", cleanText("a\nb\t\x00\xff"))
	assert.Equal(t, "plain · ünïcode", cleanText("plain · ünïcode"))
}

// The reader streams: keeping no entity's renewals, reading a log of
// 200,000 renewals (about 40 MB) leaves a heap the size of its entities,
// not of the log, and the renewal counts stay right.
func TestReadEventsStreams(t *testing.T) {
	const renewals = 200000
	header := `{"version":1,"scenario":"s","seed":1,"start":"2024-01-01T00:00:00Z","horizon_seconds":99999999,"services":[],"annotations":[]}` + "\n"
	gen := func() io.Reader {
		i := -1
		return readerFunc(func() []byte {
			i++
			switch {
			case i == 0:
				return []byte(header + `{"t":0,"kind":"issue","entity":"broker#1","entity_kind":"token","actor":"broker","ttl":60,"expire_t":60,"hard_end_t":99999999}` + "\n")
			case i <= renewals:
				return fmt.Appendf(nil, `{"t":%d,"time":"2024-01-01T00:00:00Z","kind":"renew","entity":"broker#1","entity_kind":"token","parent":null,"actor":"broker","bound_by":"role broker token_ttl","ttl":60,"expire_t":%d,"hard_end_t":99999999}`+"\n", i*40, i*40+60)
			}
			return nil
		})
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := ReadEventsWith(gen(), ReadOptions{KeepGrants: func(string, string) bool { return false }})
	require.NoError(t, err)
	runtime.GC()
	runtime.ReadMemStats(&after)
	e, _ := r.Entity("broker#1")
	assert.Equal(t, renewals, e.Renewals)
	assert.Empty(t, e.Grants, "none kept")
	assert.False(t, e.KeptGrants())
	assert.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(4<<20), "heap after reading a 40 MB log")
	_, err = RenewalSeries(r, "broker#1")
	assert.ErrorContains(t, err, "were not kept")

	full, err := ReadEvents(gen())
	require.NoError(t, err)
	fe, _ := full.Entity("broker#1")
	assert.Len(t, fe.Grants, renewals+1)
	assert.Equal(t, renewals, fe.Renewals)
	runtime.KeepAlive(r)
}

type readerFunc func() []byte

// Read serves the chunks next returns, one at a time, until it returns nil.
func (f readerFunc) Read(p []byte) (int, error) {
	chunk := f()
	if chunk == nil {
		return 0, io.EOF
	}
	if len(chunk) > len(p) {
		panic("chunk larger than the read buffer")
	}
	return copy(p, chunk), nil
}

// A lane of many short-lived tokens marks their hard ends with ticks in
// one path: what is drawn does not grow with them (a flag each painted
// the lane black, one raster pass per flag).
func TestManyHardEndsDrawInBoundedWork(t *testing.T) {
	paths := func(n int) int {
		var b strings.Builder
		b.WriteString(`{"version":1,"scenario":"s","seed":1,"start":"2024-01-01T00:00:00Z","horizon_seconds":1200000,"services":[],"annotations":[]}` + "\n")
		step := 1200000 / n
		for i := range n {
			fmt.Fprintf(&b, `{"t":%d,"kind":"issue","entity":"broker#%d","entity_kind":"token","actor":"broker","ttl":%d,"expire_t":%d,"hard_end_t":%d}`+"\n", i*step, i+1, step, i*step+step, i*step+step)
			fmt.Fprintf(&b, `{"t":%d,"kind":"end","entity":"broker#%d","entity_kind":"token","actor":"broker","cause":"max-ttl"}`+"\n", i*step+step, i+1)
		}
		r, err := ReadEvents(strings.NewReader(b.String()))
		require.NoError(t, err)
		s := string(renderAll(t, r, "svg")["timeline"])
		return strings.Count(s, "<path")
	}
	assert.Equal(t, paths(maxNumberedMarkers+1), paths(2000))
}
