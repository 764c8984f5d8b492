package vault

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leasesim/leasesim/model"
)

// maxSeconds bounds every duration read, as model.ParseDuration does
// (model.MaxDuration, 106751 days): a value beyond it is a wrong unit
// (nanoseconds, say), not a lifetime.
const maxSeconds = int64(model.MaxDuration)

// Times are read within [minTime, maxTime]: any two are at most
// model.MaxDuration apart, so spans between them never saturate.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Unix(int64(model.MaxDuration), 0).UTC()
)

// inRange fails key when t lies outside [minTime, maxTime].
func (r *reader) inRange(key string, t time.Time, shown string) bool {
	if t.Before(minTime) || t.After(maxTime) {
		r.fail(key, "%s is outside %s … %s, the span leasesim can compute in (%dd, about 292 years): is it in another unit?",
			shown, minTime.Format(time.DateOnly), maxTime.Format(time.DateOnly), model.MaxDuration/model.Day)
		return false
	}
	return true
}

// reader reads typed fields out of one decoded object, collecting errors
// that name the file and the field's dotted path.
type reader struct {
	file   string
	prefix string // "data", "auth" or "" (bare)
	what   string // "Vault's role read", for "missing" messages
	obj    object
	errs   *Errors
}

func (r *reader) path(key string) string { return join(r.prefix, key) }

func (r *reader) fail(key, format string, args ...any) {
	*r.errs = append(*r.errs, &Error{File: r.file, Field: r.path(key), Msg: fmt.Sprintf(format, args...)})
}

func (r *reader) has(key string) bool {
	_, ok := r.obj[key]
	return ok
}

// get returns the raw value; a required key that is absent is an error.
func (r *reader) get(key string, required bool) (any, bool) {
	v, ok := r.obj[key]
	if !ok {
		if required {
			r.fail(key, "missing; %s always returns it (was the file edited or cut short?)", r.what)
		}
		return nil, false
	}
	return v, true
}

// durationMode says which JSON forms a duration field accepts.
type durationMode uint8

const (
	// secondsOnly: server-computed state (lookups, tunes as read back):
	// Vault always writes integer seconds.
	secondsOnly durationMode = iota
	// settingForm: a configured value (a role): integer seconds, or a Go
	// duration string with a unit ("24h"), as Vault's API accepts on write.
	settingForm
)

var digitsOnly = regexp.MustCompile(`^\s*\+?[0-9]+\s*$`)

// seconds reads a duration in whole seconds. A fraction, a negative, a
// string of digits (whose unit is anyone's guess) and values past
// maxSeconds are errors; so is a string of any kind where the server only
// ever writes numbers.
func (r *reader) seconds(key string, required bool, mode durationMode) model.Duration {
	v, ok := r.get(key, required)
	if !ok {
		return 0
	}
	switch x := v.(type) {
	case json.Number:
		n, err := wholeNumber(x)
		if err != nil {
			r.fail(key, "%s; Vault returns TTLs as whole seconds", err)
			return 0
		}
		if n < 0 {
			r.fail(key, "%d is negative; Vault returns TTLs as zero or positive seconds", n)
			return 0
		}
		if n > maxSeconds {
			r.fail(key, "%d seconds is more than %dd (about 292 years): is the value in another unit (ms, ns)? Vault returns TTLs in seconds", n, model.MaxDuration/model.Day)
			return 0
		}
		return model.Duration(n)
	case string:
		if mode == secondsOnly {
			r.fail(key, "want integer seconds, got %s; Vault returns this field as a JSON number", jsonType(v))
			return 0
		}
		if digitsOnly.MatchString(x) {
			r.fail(key, "%q is a string of digits, so its unit is unclear; Vault returns TTLs as JSON integers of seconds: write %s for seconds, or a duration with a unit such as \"%sh\"",
				x, strings.TrimSpace(x), strings.TrimSpace(x))
			return 0
		}
		d, err := model.ParseDuration(x)
		if err != nil {
			r.fail(key, "%v", err)
			return 0
		}
		return d
	}
	r.fail(key, "want integer seconds, got %s", jsonType(v))
	return 0
}

// wholeNumber reads a JSON number that must be an integer. 3600 and 3600.0
// are both 3600 (Vault's database engine encodes its TTLs from float64
// seconds); 3600.5 is an error.
func wholeNumber(x json.Number) (int64, error) {
	s := x.String()
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	// JSON number syntax is already checked; bound the exponent so that
	// neither a huge value nor an underflow to zero slips through.
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if e, err := strconv.Atoi(s[i+1:]); err != nil || e > 30 || e < -30 {
			return 0, fmt.Errorf("%s is out of range", s)
		}
	}
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil || f.IsInf() {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	if !f.IsInt() {
		return 0, fmt.Errorf("%s has a fraction of a second", s)
	}
	n, acc := f.Int64()
	if acc != big.Exact {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	return n, nil
}

// integer reads a non-negative count (num_uses).
func (r *reader) integer(key string, required bool) int {
	v, ok := r.get(key, required)
	if !ok {
		return 0
	}
	x, isNum := v.(json.Number)
	if !isNum {
		r.fail(key, "want an integer, got %s", jsonType(v))
		return 0
	}
	n, err := wholeNumber(x)
	switch {
	case err != nil:
		r.fail(key, "want an integer: %v", err)
		return 0
	case n < 0:
		r.fail(key, "%d is negative; want 0 (unlimited) or more", n)
		return 0
	case n > math.MaxInt32:
		r.fail(key, "%d is out of range", n)
		return 0
	}
	return int(n)
}

func (r *reader) boolean(key string, required bool) bool {
	v, ok := r.get(key, required)
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		r.fail(key, "want true or false, got %s", jsonType(v))
	}
	return b
}

// str reads a string; null reads as "" when nullOK.
func (r *reader) str(key string, required, nullOK bool) string {
	v, ok := r.get(key, required)
	if !ok || (v == nil && nullOK) {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		r.fail(key, "want a string, got %s", jsonType(v))
	}
	return s
}

// strings reads an array of strings; null or absent reads as nil.
func (r *reader) strings(key string) []string {
	v, ok := r.obj[key]
	if !ok || v == nil {
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		r.fail(key, "want an array of strings, got %s", jsonType(v))
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			r.fail(fmt.Sprintf("%s[%d]", key, i), "want a string, got %s", jsonType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// stringMap reads an object of strings (a token's meta); null reads as nil.
func (r *reader) stringMap(key string) map[string]string {
	v, ok := r.obj[key]
	if !ok || v == nil {
		return nil
	}
	o, isObj := v.(object)
	if !isObj {
		r.fail(key, "want an object of strings, got %s", jsonType(v))
		return nil
	}
	out := make(map[string]string, len(o))
	for k, e := range o {
		s, isStr := e.(string)
		if !isStr {
			r.fail(key+"."+k, "want a string, got %s", jsonType(e))
			continue
		}
		out[k] = s
	}
	return out
}

// timestamp reads an RFC 3339 time (Vault writes them in UTC with
// nanoseconds). null reads as nil when nullOK.
func (r *reader) timestamp(key string, required, nullOK bool) *time.Time {
	v, ok := r.get(key, required)
	if !ok {
		return nil
	}
	if v == nil {
		if !nullOK {
			r.fail(key, "want an RFC 3339 time such as \"2024-01-10T16:05:42.123456789Z\", got null")
		}
		return nil
	}
	s, isStr := v.(string)
	if !isStr {
		hint := ""
		if _, isNum := v.(json.Number); isNum {
			hint = " (unix seconds belong in creation_time and last_renewal_time; this field is a time string)"
		}
		r.fail(key, "want an RFC 3339 time such as \"2024-01-10T16:05:42.123456789Z\", got %s%s", jsonType(v), hint)
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		r.fail(key, "%q is not an RFC 3339 time with a zone, such as \"2024-01-10T16:05:42.123456789Z\"", s)
		return nil
	}
	t = t.UTC()
	if !r.inRange(key, t, fmt.Sprintf("%q", s)) {
		return nil
	}
	return &t
}

// unixSeconds reads a unix time in seconds (creation_time,
// last_renewal_time). A value past the year 9999 is a wrong unit.
func (r *reader) unixSeconds(key string, required bool) (time.Time, bool) {
	v, ok := r.get(key, required)
	if !ok {
		return time.Time{}, false
	}
	x, isNum := v.(json.Number)
	if !isNum {
		r.fail(key, "want unix seconds as a JSON integer, got %s", jsonType(v))
		return time.Time{}, false
	}
	n, err := wholeNumber(x)
	switch {
	case err != nil:
		r.fail(key, "want unix seconds: %v", err)
		return time.Time{}, false
	case n < 0:
		r.fail(key, "%d is negative; want unix seconds", n)
		return time.Time{}, false
	case n > 253402300799: // 9999-12-31T23:59:59Z
		r.fail(key, "%d is past the year 9999 as unix seconds: is it in milliseconds? Vault returns unix seconds", n)
		return time.Time{}, false
	}
	t := time.Unix(n, 0).UTC()
	return t, r.inRange(key, t, fmt.Sprint(n))
}
