//go:build !unix

package sim

import "time"

var cpuStart = time.Now()

// cpuTime falls back to wall time where getrusage does not exist.
func cpuTime() time.Duration { return time.Since(cpuStart) }
