package cli

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Outputs are written under temporary names and renamed into place, so an
// interrupted command leaves the previous outputs as they were; what it
// had written so far — a run's staging directory with a log of up to
// gigabytes, a file's temporary name — is removed on SIGINT (Ctrl-C) and
// SIGTERM (a Kubernetes pod deleted) rather than left behind in the
// user's directory. The process then exits 130 or 143, as a shell reports
// a process killed by those signals.
var temps struct {
	sync.Mutex
	paths map[string]bool
	once  sync.Once
}

// removeOnInterrupt notes path, a temporary output, for removal if the
// process is interrupted before doneOutput(path).
func removeOnInterrupt(path string) {
	temps.once.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			sig := <-ch
			temps.Lock() // held: nothing new is noted once this began
			for p := range temps.paths {
				os.RemoveAll(p)
			}
			fmt.Fprintf(os.Stderr, "leasesim: %v: temporary outputs removed; the previous outputs are as they were\n", sig)
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			os.Exit(code)
		}()
	})
	temps.Lock()
	defer temps.Unlock()
	if temps.paths == nil {
		temps.paths = map[string]bool{}
	}
	temps.paths[path] = true
}

// doneOutput forgets path: it was renamed into place or removed.
func doneOutput(path string) {
	temps.Lock()
	defer temps.Unlock()
	delete(temps.paths, path)
}
