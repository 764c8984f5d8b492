package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 12's acceptance: check goes on past a scenario it cannot read,
// writes the JUnit file with an errored case for it and the verdicts of
// the others, and only then exits with the worst outcome.
func TestCheckKeepsGoing(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "f.xml")
	code, stdout, stderr := run("check", "default-max-cliff", "jan-2024-replay", "no-such.yaml", "--junit", junit)
	assert.Equal(t, ExitBadInput, code, "bad input is worse than a violation")
	assert.Contains(t, stdout, "FAIL default-max-cliff")
	assert.Contains(t, stdout, "ERROR no-such.yaml: scenarios: open no-such.yaml")
	assert.Contains(t, stdout, "2 of 3 scenarios failed, 1 could not be checked.")
	assert.Contains(t, stderr, "no-such.yaml")
	x, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(x), "<error "))
	assert.Contains(t, string(x), `<testsuite name="no-such.yaml" tests="1" failures="0" errors="1"`)
	assert.Contains(t, string(x), `<testsuite name="default-max-cliff"`)
	assert.Contains(t, string(x), `<testsuite name="jan-2024-replay" tests="3" failures="3" errors="0"`)

	// Without the unreadable one, the worst outcome is a violation.
	code, _, _ = run("check", "default-max-cliff", "jan-2024-fixed", "--junit", junit)
	assert.Equal(t, ExitViolation, code)

	// A built-in scenario is named by its name.
	code, stdout, stderr = run("check", "short-parent", "lease-own-cap")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stdout, "ERROR short-parent: short-parent: nothing to check")
	assert.Contains(t, stderr, "2 scenarios could not be checked: short-parent, lease-own-cap")
	assert.NotContains(t, stdout+stderr, ".yaml")

	// A run stopped by its budget is worse still: no verdict on part of
	// the horizon, exit 3, and the JUnit file is written all the same.
	require.NoError(t, os.Remove(junit))
	code, stdout, _ = run("check", "default-max-cliff", "no-such.yaml", "--max-events", "100", "--junit", junit)
	assert.Equal(t, ExitBudget, code)
	assert.Contains(t, stdout, "ERROR default-max-cliff: ")
	x, err = os.ReadFile(junit)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(x), "<error "))

	// A JUnit file that cannot be written: the verdicts are printed all
	// the same, and the failed write is the worst outcome.
	code, stdout, stderr = run("check", "default-max-cliff", "--junit", filepath.Join(t.TempDir(), "no-dir", "f.xml"))
	assert.Equal(t, ExitIO, code)
	assert.Contains(t, stdout, "FAIL default-max-cliff")
	assert.Contains(t, stderr, "f.xml")
}
