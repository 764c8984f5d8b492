package sim

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

// spillCases are runs with revocation lines: a cliff, failing revokes
// with retries, marks and daily passes, and a replayed month.
func spillCases(t *testing.T) map[string]*scenarios.Scenario {
	return map[string]*scenarios.Scenario{
		"default-max-cliff": load(t, "default-max-cliff"),
		"failure 0.6":       failingCliff(t, "0.6"),
		"jan-2024-replay":   load(t, "jan-2024-replay"),
	}
}

// A log whose revocation lines wait in a spill file (Options.LogSpill) is
// byte for byte the log that keeps them in memory, at every level, and
// the run keeps none of them: they went through the file, which holds
// exactly the log's last lines, its revocation lines.
func TestRevocationSpillIsTheSameLog(t *testing.T) {
	for name, s := range spillCases(t) {
		t.Run(name, func(t *testing.T) {
			for _, l := range []LogLevel{LogAll, LogLifecycle} {
				var kept bytes.Buffer
				res := New(s, Options{LogTo: &kept, LogLevel: l}).Run()
				require.NoError(t, res.LogErr)
				require.NotEmpty(t, res.Revocation.Seconds)

				spill, err := os.CreateTemp(t.TempDir(), "spill")
				require.NoError(t, err)
				defer spill.Close()
				var spilled bytes.Buffer
				res = New(s, Options{LogTo: &spilled, LogLevel: l, LogSpill: spill}).Run()
				require.NoError(t, res.LogErr)
				require.Equal(t, kept.String(), spilled.String(), "level %s", l)
				assert.Nil(t, res.Revocation.Seconds, "the lines are not kept")

				tail, err := os.ReadFile(spill.Name())
				require.NoError(t, err)
				lines := strings.Count(kept.String(), `{"kind":"revocation"`)
				require.NotZero(t, lines)
				assert.Equal(t, lines, strings.Count(string(tail), `{"kind":"revocation"`))
				assert.Equal(t, lines, strings.Count(string(tail), "\n"))
				assert.True(t, strings.HasSuffix(kept.String(), string(tail)))
			}
		})
	}
}

// A run that keeps its log in memory, or writes none, keeps its rows and
// never touches the spill.
func TestRevocationSpillOnlyForAStreamedLog(t *testing.T) {
	s := failingCliff(t, "0.6")
	for _, o := range []Options{{RecordLog: true}, {LogTo: io.Discard, LogLevel: LogNone}} {
		o.LogSpill = &brokenSpill{}
		res := New(s, o).Run()
		require.NoError(t, res.LogErr)
		if o.RecordLog {
			assert.NotEmpty(t, res.Revocation.Seconds)
		}
	}
}

// brokenSpill fails every call after its first n bytes written, each
// kind of call when asked to.
type brokenSpill struct {
	n                 int
	write, seek, read bool
	file              bytes.Buffer
}

var errSpill = errors.New("no space left on device")

func (b *brokenSpill) Write(p []byte) (int, error) {
	if b.write && b.file.Len()+len(p) > b.n {
		return 0, errSpill
	}
	return b.file.Write(p)
}

func (b *brokenSpill) Seek(int64, int) (int64, error) {
	if b.seek {
		return 0, errSpill
	}
	return 0, nil
}

func (b *brokenSpill) Read(p []byte) (int, error) {
	if b.read {
		return 0, errSpill
	}
	return b.file.Read(p)
}

// A spill that fails (writing during the run or at its last flush,
// rewinding, reading) is the run's LogErr, naming the temporary file; the
// run completes, its report the same, and nothing panics. A log failing
// in the copy is named as the log's own error.
func TestRevocationSpillErrors(t *testing.T) {
	s := failingCliff(t, "0.6")
	var kept bytes.Buffer
	clean := New(s, Options{LogTo: &kept, LogLevel: LogLifecycle}).Run()
	var report strings.Builder
	require.NoError(t, WriteRunText(&report, clean))
	at := strings.Index(kept.String(), `{"kind":"revocation"`)
	require.Positive(t, at)
	size := kept.Len() - at // the spill's bytes
	require.Greater(t, size, 64<<10, "more than the spill's buffer: it is written during the run")
	for name, sp := range map[string]*brokenSpill{
		"write early": {write: true, n: 100}, "write at the end": {write: true, n: size - 10},
		"seek": {seek: true}, "read": {read: true},
	} {
		t.Run(name, func(t *testing.T) {
			var log bytes.Buffer
			res := New(s, Options{LogTo: &log, LogLevel: LogLifecycle, LogSpill: sp}).Run()
			require.EqualError(t, res.LogErr, "the revocation lines' temporary file: no space left on device")
			assert.NotContains(t, log.String(), `{"kind":"revocation"`)
			var got strings.Builder
			require.NoError(t, WriteRunText(&got, res))
			assert.Equal(t, report.String(), got.String())
		})
	}
	t.Run("the log fails in the copy", func(t *testing.T) {
		res := New(s, Options{LogTo: &failingWriter{n: at + 10}, LogLevel: LogLifecycle, LogSpill: &brokenSpill{}}).Run()
		require.EqualError(t, res.LogErr, "disk full")
	})
}
