//go:build !unix

package sim

import "time"

// faultsAndSys is not measured where getrusage does not exist.
func faultsAndSys() (int64, time.Duration) { return 0, 0 }
