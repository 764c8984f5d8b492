package model

import "math"

// Rules of the expiration manager's revocation work (semantics.md §5.3,
// §6.1–§6.2): when a lease ends for Vault, a revocation job is queued for
// its mount; workers run the secrets engine's revoke; failures are retried
// with an exponential backoff and, after the last attempt, the lease is
// irrevocable. The expiry instant (invalid for Vault) and the revocation
// instant (the database user is gone) are two different times.
//
// Revocation runs in milliseconds: a revoke takes tens of milliseconds
// (§12), far below the whole seconds the lifetime rules work in.

// Millis is a span or instant of revocation time in milliseconds.
type Millis int64

// Revocation constants of vault/expiration.go (semantics.md §5.3).
const (
	// DefaultRevocationWorkers is numExpirationWorkersDefault; the
	// VAULT_LEASE_REVOCATION_WORKERS override is honoured in [1, 10000].
	DefaultRevocationWorkers = 200
	MaxRevocationWorkers     = 10000
	// DefaultRevokeTimeout is DefaultMaxRequestDuration: each attempt's context.
	DefaultRevokeTimeout Millis = 90_000
	// MaxRevokeAttempts is maxRevokeAttempts: the attempt that fails for
	// the 6th time marks the lease irrevocable.
	MaxRevokeAttempts = 6
	// RevokeRetryBase is revokeRetryBase.
	RevokeRetryBase Millis = 10_000
	// IrrevocableRetryEvery is the period of attemptIrrevocableLeasesRevoke,
	// which retries only leases expired more than IrrevocableMinAge ago,
	// one after another, each with IrrevocableTimeout.
	IrrevocableRetryEvery Millis = 24 * 3600_000
	IrrevocableMinAge     Millis = 3600_000
	IrrevocableTimeout    Millis = 60_000
	// FairshareShare is the fraction of all workers the active queues share
	// (queueWorkersSaturated in helper/fairshare/jobmanager.go).
	FairshareShare = 0.9
	// MaxLeaseThreshold is maxLeaseThreshold: above it Vault logs a warning.
	MaxLeaseThreshold = 256_000
)

// Default revoke latency of a secrets mount: the database leases of §12
// were revoked 24–81 ms after their token, for a handful of leases.
const (
	DefaultRevokeP50 Millis = 30
	DefaultRevokeP99 Millis = 80
)

// RevokeBackoff is revokeExponentialBackoff(attempt): (1<<attempt)×10 s,
// uniformly within ±50%. u in [0,1) is the caller's uniform draw, so that
// the rule stays pure. After the n-th failed attempt (n = 1..5) the job is
// retried after RevokeBackoff(n, u): ≈20 s, 40 s, 80 s, 160 s, 320 s.
func RevokeBackoff(attempt int, u float64) Millis {
	exp := float64(int64(1)<<min(max(attempt, 0), 30)) * float64(RevokeRetryBase)
	return Millis(math.Floor(exp*0.5 + u*exp))
}

// RevokeOutcome is what a failed attempt leads to.
type RevokeOutcome uint8

// Outcomes of a failed revocation attempt (revocationJob.OnFailure).
const (
	RetryLater  RevokeOutcome = iota + 1 // a timer re-queues the job after RevokeBackoff
	Irrevocable                          // markLeaseIrrevocable: only the daily pass retries it
)

// AfterFailure says what follows the failed attempt number attempts
// (1-based), counting every attempt of the job so far.
func AfterFailure(attempts int) RevokeOutcome {
	if attempts >= MaxRevokeAttempts {
		return Irrevocable
	}
	return RetryLater
}

// QueueWorkerCap is the most workers one mount's queue may use while
// active queues have jobs waiting: ceil(0.9 × workers / active), so that
// one mount's storm cannot take every worker (queueWorkersSaturated).
func QueueWorkerCap(workers, active int) int {
	if active < 1 {
		active = 1
	}
	return int(math.Ceil(FairshareShare * float64(workers) / float64(active)))
}

// IrrevocableDue reports whether the daily pass at now retries a lease that
// expired at expired: only those expired more than an hour ago.
func IrrevocableDue(expired, now Millis) bool {
	return expired+IrrevocableMinAge < now
}

// NextIrrevocablePass is the first daily pass strictly after t; passes run
// every 24 h from the server's start (the timer in setupExpiration), here
// virtual time zero.
func NextIrrevocablePass(t Millis) Millis {
	return (t/IrrevocableRetryEvery + 1) * IrrevocableRetryEvery
}

// RevokeLatency is one revoke's duration drawn from a log-normal with
// median p50 and 99th percentile p99; z is the caller's standard normal
// draw. p99 <= p50 gives the constant p50. At least 1 ms. This is a
// modelling choice (marked guess in docs/semantics.md): Vault has no such
// distribution, the database has.
func RevokeLatency(p50, p99 Millis, z float64) Millis {
	if p99 <= p50 || p50 <= 0 {
		return max(p50, 1)
	}
	const z99 = 2.3263478740408408 // the standard normal's 99th percentile
	sigma := math.Log(float64(p99)/float64(p50)) / z99
	return max(Millis(math.Round(float64(p50)*math.Exp(sigma*z))), 1)
}

// RevokeAttempt is the result of one attempt that takes latency l under
// timeout t: it fails when the revoke outlasts the request's context.
func RevokeAttempt(l, timeout Millis) (took Millis, timedOut bool) {
	if timeout > 0 && l > timeout {
		return timeout, true
	}
	return l, false
}

// DrainTime is the ideal time for W workers to revoke N jobs of one mount
// that arrive together, each taking a constant L and never failing:
// ⌈N / cap⌉·L with cap = QueueWorkerCap(W, 1). The simulator must agree.
func DrainTime(n, workers int, l Millis) Millis {
	if n <= 0 {
		return 0
	}
	c := QueueWorkerCap(workers, 1)
	return Millis((n+c-1)/c) * l
}
