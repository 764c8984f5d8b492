package cli

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReviewInterruptHelper is the leasesim process that
// TestReviewInterruptLeavesNoStage interrupts: the test binary run again
// with LEASESIM_REVIEW_CHILD set, its arguments after "--".
func TestReviewInterruptHelper(t *testing.T) {
	if os.Getenv("LEASESIM_REVIEW_CHILD") == "" {
		t.Skip("run by TestReviewInterruptLeavesNoStage")
	}
	os.Exit(Main(flag.Args(), os.Stdout, os.Stderr))
}

// Ctrl-C (or a pod's SIGTERM) during run --out removes the staging
// directory and its partial log, which could be gigabytes, leaves the
// previous set as it was, and exits 130 as a shell reports it.
func TestReviewInterruptLeavesNoStage(t *testing.T) {
	dir := t.TempDir()
	old := []byte("the previous run's report\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "report.json"), old, 0o644))
	cmd := exec.Command(os.Args[0], "-test.run=^TestReviewInterruptHelper$", "--",
		"run", filepath.Join("..", "..", "..", "testdata", "standard-1m-365d.yaml"), "--set", "actors.fleet.replicas=2000",
		"--exact", "--max-events", "1000000000", "--out", dir)
	cmd.Env = append(os.Environ(), "LEASESIM_REVIEW_CHILD=1")
	require.NoError(t, cmd.Start())
	// The log is opened after the stage is noted for removal.
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs, _ := filepath.Glob(filepath.Join(dir, ".leasesim-out-*", "events.jsonl"))
		if len(logs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the run never opened its log")
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "%v", err)
	assert.Equal(t, 130, ee.ExitCode())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"report.json"}, names, "no staging directory is left")
	got, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	assert.Equal(t, old, got)
}
