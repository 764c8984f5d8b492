package sim

import (
	"testing"

	"github.com/leasesim/leasesim/model"
)

func TestSinceIssue(t *testing.T) {
	for _, tc := range []struct {
		d    model.Duration
		want string
	}{
		{768 * model.Hour, "issue + 32d (768h)"},
		{24 * model.Hour, "issue + 24h"},
		{47*model.Hour + 59*model.Minute, "issue + 47h59m"},
		{48 * model.Hour, "issue + 2d (48h)"},
		{1090*model.Hour + 54*model.Minute, "issue + 45d10h54m (1090h54m)"},
		{0, "issue + 0s"},
	} {
		if got := SinceIssue(tc.d); got != tc.want {
			t.Errorf("SinceIssue(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
