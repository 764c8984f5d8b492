//go:build unix

package vault

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every *.json of an import directory is read or listed with why it was
// not: a symlink loop, a dangling link, a FIFO (which would block the
// read) are errors naming the file, never skipped in silence.
func TestRead_UnreadableFilesAreListed(t *testing.T) {
	broker, err := os.ReadFile(filepath.Join(jan2024, "token-broker.json"))
	require.NoError(t, err)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // makes the bad entry, returns its path
		want  string
	}{
		{"symlink loop", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "loop.json")
			require.NoError(t, os.Symlink(p, p))
			return p
		}, "cannot read: too many levels of symbolic links"},
		{"dangling symlink", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "gone.json")
			require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), p))
			return p
		}, "cannot read: no such file or directory"},
		{"fifo", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "pipe.json")
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			return p
		}, "is a named pipe (FIFO), not a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "a.json"), broker, 0o644))
			bad := tt.setup(t, dir)
			for _, args := range [][]string{{dir}, {bad}} { // in a directory, and named alone
				done := make(chan error, 1)
				go func() { _, err := Read(args...); done <- err }()
				select {
				case err := <-done:
					require.Error(t, err)
					assert.Contains(t, err.Error(), bad+": "+tt.want)
				case <-time.After(5 * time.Second):
					t.Fatalf("Read(%v) blocked", args)
				}
			}
		})
	}
}

// Times more than model.MaxDuration apart would saturate time.Time.Sub:
// they are refused with the field.
func TestReadFile_TimesInRange(t *testing.T) {
	broker, err := os.ReadFile(filepath.Join(jan2024, "token-broker.json"))
	require.NoError(t, err)
	tests := []struct {
		name, from, to, want string
	}{
		{"expire in 9999", "2024-01-11T09:47:31.502846705Z", "9999-01-11T09:47:31Z", `data.expire_time: "9999-01-11T09:47:31Z" is outside 1970-01-01 … 2262-04-11`},
		{"issue in year 1", "2023-12-14T17:54:00.318266402Z", "0001-12-14T17:54:00Z", `data.issue_time: "0001-12-14T17:54:00Z" is outside 1970-01-01 … 2262-04-11`},
		{"renewal in 2263", "2024-01-10T09:47:31.503060218Z", "2263-01-10T09:47:31Z", `data.last_renewal: "2263-01-10T09:47:31Z" is outside`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(string(broker), tt.from, tt.to, 1)
			require.NotEqual(t, string(broker), data)
			_, err := ReadFile("token-x.json", []byte(data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "token-x.json: "+tt.want)
		})
	}
}
