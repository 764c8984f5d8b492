// Command leasesim simulates credential lease hierarchies of a Vault-style
// secrets backend: when each token and credential stops working, which
// setting decided that, and what goes down with it.
package main

import (
	"os"

	"github.com/leasesim/leasesim/cmd/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
