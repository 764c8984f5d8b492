package sim

import (
	"fmt"

	"github.com/leasesim/leasesim/model"
)

// SinceIssue says a lifetime relative to its own issue, the way a reviewer
// counts it: "issue + 32d (768h)" — days for lifetimes of two days or
// more, with Vault's hours beside them — or "issue + 24h". Every output
// that places an end on the scenario's clock ("day 45+10:54") says this
// beside it, so nobody has to subtract the issue day.
func SinceIssue(d model.Duration) string {
	if days := FormatDays(d); days != d.String() {
		return fmt.Sprintf("issue + %s (%s)", days, d)
	}
	return "issue + " + d.String()
}

// FormatDays renders a duration of two days or more in days: "32d",
// "45d10h54m"; shorter ones as Duration.String does.
func FormatDays(d model.Duration) string {
	if d < 2*model.Day {
		return d.String()
	}
	s := fmt.Sprintf("%dd", d/model.Day)
	if rest := d % model.Day; rest != 0 {
		s += rest.String()
	}
	return s
}
