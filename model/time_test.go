package model

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    Duration
		wantErr string
	}{
		{"90s", 90, ""},
		{"1h30m", 90 * Minute, ""},
		{"768h", 768 * Hour, ""},
		{"32d", 768 * Hour, ""},
		{"1d12h", 36 * Hour, ""},
		{"3600", Hour, ""},
		{"0", 0, ""},
		{"0s", 0, ""},
		{"", 0, "empty duration"},
		{"-5s", 0, "negative duration"},
		{"-1", 0, "negative duration"},
		{"1.5s", 0, "fraction of a second"},
		{"500ms", 0, "fraction of a second"},
		{"10x", 0, "invalid duration"},
		{"xd", 0, "invalid duration"},
		{"99999999999d", 0, "too long"},
		{"9223372036854775807", 0, "too long"},
		{"99999999999999999999", 0, "too long"},
		// One maximum, 106751d, for every form (issue 13: 2562048h was
		// refused as invalid while 10000000d was accepted).
		{"106751d", MaxDuration, ""},
		{"2562024h", MaxDuration, ""},
		{"9223286400", MaxDuration, ""},
		{"106750d24h", MaxDuration, ""},
		{"106752d", 0, "too long"},
		{"10000000d", 0, "too long"},
		{"2562025h", 0, "too long"},
		{"2562048h", 0, "too long"},
		{"9223286401", 0, "too long"},
		{"106751d1s", 0, "too long"},
		{"1d99999999999h", 0, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Offset refuses, instead of saturating at ±292 years, times further than
// MaxDuration from start.
func TestOffset(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want Instant
		ok   bool
	}{
		{start, 0, true},
		{start.Add(-time.Hour), -3600, true},
		{start.Add(MaxDuration.Std()), Instant(MaxDuration), true},
		{start.Add(-MaxDuration.Std()), -Instant(MaxDuration), true},
		{start.Add(MaxDuration.Std() + time.Second), 0, false},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), 0, false},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0, false},
	}
	for _, tt := range tests {
		got, ok := Offset(tt.t, start)
		assert.Equal(t, tt.ok, ok, tt.t)
		assert.Equal(t, tt.want, got, tt.t)
	}
}

func TestDurationFormatting(t *testing.T) {
	assert.Equal(t, "768h", (768 * Hour).String())
	assert.Equal(t, "1h30m", (90 * Minute).String())
	assert.Equal(t, "45s", Duration(45).String())
	assert.Equal(t, "0s", Duration(0).String())
	assert.Equal(t, "-1m", (-Minute).String())
}

func TestInstantArithmetic(t *testing.T) {
	i := Instant(100)
	assert.Equal(t, Instant(160), i.Add(Minute))
	assert.Equal(t, Duration(-100), Instant(0).Sub(i))
	assert.True(t, Instant(1).Before(i))
	assert.True(t, i.After(1))
	assert.False(t, i.Before(i))
}
