package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

// A streamed log (Options.LogTo) is byte for byte the log WriteEventsJSONL
// writes from a recorded run, for every library scenario; the engine keeps
// none of it in memory. The lifecycle level drops exactly the uncapped
// renewals of leases, and nothing else. (jan-2024-fixed is left out: its
// 400 days write a 148 MB log, four times over.)
func TestEventLog_StreamEqualsRecorded(t *testing.T) {
	for _, entry := range scenarios.List() {
		if entry.Name == "jan-2024-fixed" {
			continue
		}
		t.Run(entry.Name, func(t *testing.T) {
			s := load(t, entry.Name)
			var recorded bytes.Buffer
			require.NoError(t, WriteEventsJSONL(&recorded, New(s, Options{RecordLog: true}).Run()))

			stream := func(l LogLevel) string {
				var buf bytes.Buffer
				res := New(s, Options{LogTo: &buf, LogLevel: l}).Run()
				require.NoError(t, res.LogErr)
				assert.Empty(t, res.Log, "a streamed log is not kept")
				return buf.String()
			}
			all := stream(LogAll)
			require.Equal(t, recorded.String(), all)
			assert.Empty(t, stream(LogNone))

			life := strings.SplitAfter(stream(LogLifecycle), "\n")
			dropped, k := 0, 0
			for _, line := range strings.SplitAfter(all, "\n") {
				if k < len(life) && line == life[k] {
					k++
					continue
				}
				var ev struct {
					Kind       string   `json:"kind"`
					EntityKind string   `json:"entity_kind"`
					Warnings   []string `json:"warnings"`
				}
				require.NoError(t, json.Unmarshal([]byte(line), &ev))
				require.Equal(t, "renew lease", ev.Kind+" "+ev.EntityKind, "lifecycle dropped %s", line)
				dropped++
			}
			assert.Equal(t, len(life), k, "the lifecycle log is the full log with lines left out")
			if strings.Contains(all, `"kind":"renew","actor"`) && strings.Contains(all, `"entity_kind":"lease"`) {
				assert.NotZero(t, dropped, "lease renewals are left out")
			}
		})
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// A write error is kept, writing stops, and the run itself completes.
func TestEventLog_WriteErrorIsReported(t *testing.T) {
	s := load(t, "jan-2024-replay")
	res := New(s, Options{LogTo: &failingWriter{n: 5000}}).Run()
	require.EqualError(t, res.LogErr, "disk full")
	assert.Equal(t, HorizonReached, res.Outcome)
}

func TestParseLogLevel(t *testing.T) {
	for i, n := range LogLevels {
		l, err := ParseLogLevel(n)
		require.NoError(t, err)
		assert.Equal(t, LogLevel(i), l)
		assert.Equal(t, n, l.String())
	}
	_, err := ParseLogLevel("some")
	assert.EqualError(t, err, `--log "some": want all, lifecycle or none`)
}
