package model

import (
	"testing"

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
