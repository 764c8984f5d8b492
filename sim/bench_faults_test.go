//go:build unix

package sim

import (
	"syscall"
	"time"
)

// faultsAndSys returns the minor page faults this process has taken and its
// system CPU time: a cascade's first writes to fresh memory show as both.
func faultsAndSys() (int64, time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return ru.Minflt, time.Duration(ru.Stime.Nano())
}
