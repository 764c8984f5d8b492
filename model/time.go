package model

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Duration is a span of virtual time in whole seconds.
//
// The backend computes every TTL from times truncated to the second
// (semantics.md §1 step 1 and §12), so whole seconds are exact, not a
// rounding of the real behaviour.
type Duration int64

// Common durations.
const (
	Second Duration = 1
	Minute Duration = 60 * Second
	Hour   Duration = 60 * Minute
	Day    Duration = 24 * Hour
)

// Instant is a point in virtual time: seconds since the scenario's start
// (virtual time zero). It is data passed into the model, never read from a
// clock; the calendar date of an Instant exists only at the edges (reports,
// plots), computed from the scenario's start.
type Instant int64

// Add returns t+d.
func (t Instant) Add(d Duration) Instant { return t + Instant(d) }

// Sub returns the span t-u.
func (t Instant) Sub(u Instant) Duration { return Duration(t - u) }

// Before reports whether t is strictly before u.
func (t Instant) Before(u Instant) bool { return t < u }

// After reports whether t is strictly after u.
func (t Instant) After(u Instant) bool { return t > u }

// Seconds returns d as a plain number of seconds.
func (d Duration) Seconds() int64 { return int64(d) }

// Std converts d to a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) * time.Second }

// String formats d compactly for people and scenario files: "768h",
// "1h30m", "45s", "0s". Whole days are not folded into "d" so that the
// value reads the way Vault's own parameters are written.
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	v := int64(d)
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	h, m, s := v/3600, (v/60)%60, v%60
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10))
		b.WriteByte('h')
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(m, 10))
		b.WriteByte('m')
	}
	if s > 0 {
		b.WriteString(strconv.FormatInt(s, 10))
		b.WriteByte('s')
	}
	return b.String()
}

// ParseDuration reads a duration the way scenario files and Vault accept
// it: Go form ("90s", "1h30m", "768h"), a bare integer as seconds (as
// Vault's API does), or days ("32d", "1d12h"). Sub-second parts are an
// error, because the backend works in whole seconds; so are negative
// values, which no lifetime setting accepts.
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration; want e.g. 90s, 1h30m, 768h or 32d")
	}
	tooLong := fmt.Errorf("duration %q is too long; at most %s (%dd, about 292 years)", s, MaxDuration, MaxDuration/Day)
	if n, err := strconv.ParseInt(in, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case strings.HasPrefix(in, "-"):
			return 0, fmt.Errorf("negative duration %q; lifetimes must be zero or positive", s)
		case err != nil || n > int64(MaxDuration):
			return 0, tooLong
		}
		return Duration(n), nil
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("negative duration %q; lifetimes must be zero or positive", s)
	}
	var days int64
	if i := strings.IndexByte(in, 'd'); i >= 0 {
		n, err := strconv.ParseInt(in[:i], 10, 64)
		if errors.Is(err, strconv.ErrRange) || (err == nil && n > int64(MaxDuration/Day)) {
			return 0, tooLong
		}
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q; want e.g. 90s, 1h30m, 768h or 32d", s)
		}
		days = n
		in = in[i+1:]
		if in == "" {
			return Duration(days) * Day, nil
		}
	}
	std, err := time.ParseDuration(in)
	if err != nil {
		if goDuration.MatchString(in) {
			return 0, tooLong // well formed: time.ParseDuration overflowed
		}
		return 0, fmt.Errorf("invalid duration %q; want e.g. 90s, 1h30m, 768h or 32d", s)
	}
	if std < 0 {
		return 0, fmt.Errorf("negative duration %q; lifetimes must be zero or positive", s)
	}
	if std%time.Second != 0 {
		return 0, fmt.Errorf("duration %q has a fraction of a second; the backend works in whole seconds", s)
	}
	if d := Duration(days)*Day + Duration(std/time.Second); d <= MaxDuration {
		return d, nil
	}
	return 0, tooLong
}

// goDuration is the shape time.ParseDuration accepts, whatever the size.
var goDuration = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$`)

// MaxDuration is the longest duration in every form (seconds, days, Go
// form): 106751 days, the whole days a time.Duration holds, so that every
// duration converts to one (Std) and an offset from a calendar time never
// saturates.
const MaxDuration = 106751 * Day

// Offset is t's instant on a clock started at start, or false when t is
// more than MaxDuration away (where time.Time.Sub would saturate).
func Offset(t, start time.Time) (Instant, bool) {
	lo, hi := start.Add(-MaxDuration.Std()), start.Add(MaxDuration.Std())
	if t.Before(lo) || t.After(hi) {
		return 0, false
	}
	return Instant(t.Sub(start) / time.Second), true
}
