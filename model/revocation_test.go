package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// §5.3, revokeExponentialBackoff: (1<<attempt)×10 s, uniformly ±50%.
func TestRevokeBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		u       float64
		want    Millis
	}{
		{1, 0, 10_000},        // 20 s − 50%
		{1, 0.5, 20_000},      // the middle
		{1, 0.999999, 29_999}, // just under 20 s + 50%
		{2, 0.5, 40_000},
		{3, 0.5, 80_000},
		{4, 0.5, 160_000},
		{5, 0.5, 320_000},
		{5, 0, 160_000},
		{0, 0.5, 10_000}, // never used by OnFailure (it counts from 1), but the formula holds
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, RevokeBackoff(tt.attempt, tt.u), "attempt %d u %v", tt.attempt, tt.u)
	}
}

// §5.3, revocationJob.OnFailure: the 6th failed attempt marks the lease
// irrevocable (maxRevokeAttempts = 6); earlier ones are retried.
func TestAfterFailure(t *testing.T) {
	for n, want := range map[int]RevokeOutcome{1: RetryLater, 5: RetryLater, 6: Irrevocable, 7: Irrevocable} {
		assert.Equal(t, want, AfterFailure(n), "attempt %d", n)
	}
}

// §5.3, queueWorkersSaturated: ceil(0.9 × workers / active queues).
func TestQueueWorkerCap(t *testing.T) {
	tests := []struct{ workers, active, want int }{
		{200, 1, 180},
		{200, 2, 90},
		{200, 3, 60},
		{200, 7, 26}, // 25.71… rounds up
		{200, 300, 1},
		{1, 1, 1},
		{10, 0, 9}, // no active queue counts as one
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, QueueWorkerCap(tt.workers, tt.active), "%d workers, %d queues", tt.workers, tt.active)
	}
}

// §5.3, attemptIrrevocableLeasesRevoke: every 24 h from start, leases
// expired more than an hour before.
func TestIrrevocablePass(t *testing.T) {
	const h = 3600_000
	assert.Equal(t, Millis(24*h), NextIrrevocablePass(0))
	assert.Equal(t, Millis(48*h), NextIrrevocablePass(24*h))
	assert.Equal(t, Millis(48*h), NextIrrevocablePass(30*h))
	assert.True(t, IrrevocableDue(0, h+1))
	assert.False(t, IrrevocableDue(0, h), "exactly an hour is not more than an hour")
	assert.False(t, IrrevocableDue(23*h+30*60_000, 24*h))
}

// The log-normal latency: median p50, 99th percentile p99 (a modelling
// choice, docs/revocation.md).
func TestRevokeLatency(t *testing.T) {
	tests := []struct {
		name     string
		p50, p99 Millis
		z        float64
		want     Millis
	}{
		{"median", 30, 80, 0, 30},
		{"99th percentile", 30, 80, 2.3263478740408408, 80},
		{"constant when p99 = p50", 2000, 2000, 3, 2000},
		{"constant when p99 unset", 2000, 0, -3, 2000},
		{"at least 1 ms", 1, 1000, -10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RevokeLatency(tt.p50, tt.p99, tt.z))
		})
	}
}

// Each attempt runs under DefaultMaxRequestDuration (90 s).
func TestRevokeAttempt(t *testing.T) {
	took, out := RevokeAttempt(2000, DefaultRevokeTimeout)
	assert.Equal(t, Millis(2000), took)
	assert.False(t, out)
	took, out = RevokeAttempt(120_000, DefaultRevokeTimeout)
	assert.Equal(t, DefaultRevokeTimeout, took)
	assert.True(t, out)
}

// N jobs, W workers, constant L, one mount: ⌈N / ceil(0.9·W)⌉ · L.
func TestDrainTime(t *testing.T) {
	tests := []struct {
		n, w int
		l    Millis
		want Millis
	}{
		{0, 200, 2000, 0},
		{1, 200, 2000, 2000},
		{180, 200, 2000, 2000},
		{181, 200, 2000, 4000},
		{50_000, 200, 2000, 278 * 2000}, // ⌈50000/180⌉ = 278
		{10, 10, 50, 100},               // one queue may use only 9 of 10 workers: two rounds
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, DrainTime(tt.n, tt.w, tt.l), "N=%d W=%d L=%d", tt.n, tt.w, tt.l)
	}
}
