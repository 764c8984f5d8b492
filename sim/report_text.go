package sim

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/leasesim/leasesim/model"
)

// Headline is the one-line finding of a run: its first cliff — when, what,
// which layer set its end, and how much it took down. A run a budget
// stopped says so first: its findings cover only the time before.
func (r *Result) Headline() string {
	if r.Outcome.Exhausted() {
		b := r.BudgetErr().(*BudgetError)
		return fmt.Sprintf("STOPPED EARLY at %s (%s): the %s budget (%s) ran out, raise it with %s. Up to then: %s",
			b.Reached, FormatOffset(b.At), b.Budget, b.limit(), b.Flag, r.findings())
	}
	return r.findings()
}

func (r *Result) findings() string {
	c := Clock{r.Scenario.Start}
	if len(r.Cliffs) == 0 {
		if len(r.Outages) == 0 {
			return fmt.Sprintf("No cliff and no outage within %s (to %s).", model.Duration(r.Horizon), c.Date(r.Horizon))
		}
		return fmt.Sprintf("No cliff, but %d outage window%s; the first starts %s (%s).", len(r.Outages), Plural(len(r.Outages)),
			c.Date(r.Outages[0].From), FormatOffset(r.Outages[0].From))
	}
	f := &r.Cliffs[0]
	return fmt.Sprintf("First cliff %s (+%s, %s): %s; the backend ended %s%s.",
		c.Date(f.At), model.Duration(f.At), FormatOffset(f.At), r.cliffCause(f), r.blast(f), r.servicesDown(f))
}

func (r *Result) cliffCause(f *Cliff) string {
	root, its, was := r.EntityID(f.Roots[0]), "its", "was"
	if f.NumRoots() > 1 {
		root, its, was = fmt.Sprintf("%s and %d more", root, f.NumRoots()-1), "their", "were"
	}
	switch f.Cause {
	case MaxTTL:
		return fmt.Sprintf("%s reached %s hard end, %s set by %s", root, its, SinceIssue(f.Lifetime), f.BoundBy)
	case Expired:
		return fmt.Sprintf("%s expired unrenewed (ttl set by %s)", root, f.BoundBy)
	case Revoked:
		return fmt.Sprintf("%s %s revoked by an operator", root, was)
	}
	return root + " ended"
}

func (r *Result) blast(f *Cliff) string {
	s := fmt.Sprintf("%d token%s and %d lease%s in use", f.Tokens, Plural(f.Tokens), f.Leases, Plural(f.Leases))
	if f.Retired > 0 {
		s += fmt.Sprintf(" (and %d already replaced)", f.Retired)
	}
	return s
}

func (r *Result) servicesDown(f *Cliff) string {
	if len(f.Services) == 0 {
		return ""
	}
	var names []string
	for _, s := range f.Services {
		names = append(names, r.Services[s].Name)
	}
	return fmt.Sprintf(", cutting off %s", JoinAnd(names))
}

// Plural is "s" unless n is 1.
func Plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (r *Result) outcomeNote() string {
	if r.Outcome.Exhausted() {
		return fmt.Sprintf(" · STOPPED EARLY: %s at %s; later results are missing", r.Outcome, FormatOffset(r.Horizon))
	}
	return ""
}

// WriteRunText writes the run's summary for people.
func WriteRunText(w io.Writer, r *Result) error {
	s := r.Scenario
	c := Clock{s.Start}
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n", s.Name, strings.TrimSpace(s.Description))
	fmt.Fprintf(&b, "seed %d · %s to %s (%s) · %d events%s\n\n", r.Seed, c.Date(0), c.Date(r.Horizon), model.Duration(r.Horizon), r.Events, r.outcomeNote())
	fmt.Fprintf(&b, "%s\n", r.Headline())
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}

	b.WriteString("\nImpact windows (any service down)\n")
	if len(r.Impacts) == 0 {
		b.WriteString("  none\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, w := range r.Impacts {
			to, d := c.Date(w.To), w.To.Sub(w.From).String()
			if w.Ongoing {
				to, d = "horizon (ongoing)", ">"+d
			}
			fmt.Fprintf(tw, "  %s\t→ %s\t%s\t%d service%s\t%.0f failed requests\n", c.Date(w.From), to, d, len(w.Services), Plural(len(w.Services)), w.FailedRequests)
		}
		tw.Flush()
	}

	table(&b, "Cliffs", len(r.Cliffs), "when\toffset\tafter its issue\troot\tcause\tbound by\tset with\ttokens\tleases\tservices", func(tw io.Writer) {
		for i := range r.Cliffs {
			f := &r.Cliffs[i]
			roots := r.EntityID(f.Roots[0])
			if f.NumRoots() > 1 {
				roots += fmt.Sprintf(" +%d", f.NumRoots()-1)
			}
			var svcs []string
			for _, x := range f.Services {
				svcs = append(svcs, r.Services[x].Name)
			}
			set := LayerSetting(r.Scenario, f.BoundBy, r.Facts(int(f.Roots[0])).Actor).Path
			if set == "" {
				set = "—" // an operator's revoke, or an ancestor: no setting decides it
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", c.Date(f.At), FormatOffset(f.At), FormatDays(f.Lifetime), roots, f.Cause, f.BoundByName(), set, f.Tokens, f.Leases, orNone(strings.Join(svcs, ", ")))
		}
	})
	writeCapped(&b, r)
	table(&b, "Outages", len(r.Outages), "service\tfrom\tto\trecovery\treplicas down\tfailed requests", func(tw io.Writer) {
		for _, o := range r.Outages {
			to, rec := c.Date(o.To), o.Duration().String()
			if o.Ongoing {
				to, rec = "still down at horizon", ">"+rec
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d/%d\t%.0f\n", o.Service, c.Date(o.From), to, rec, o.PeakFailing, o.Replicas, o.FailedRequests)
		}
	})
	table(&b, "Services", len(r.Services), "service\treplicas\tdemand/s\tdown\toutages\tfailed requests", func(tw io.Writer) {
		for _, sv := range r.Services {
			fmt.Fprintf(tw, "  %s\t%d\t%g\t%s\t%d\t%.0f\n", sv.Name, sv.Replicas, sv.Demand, sv.Down, sv.Outages, sv.FailedRequests)
		}
	})

	writeRevocationText(&b, r)
	b.WriteString("\nEntities (tokens and the fate of every credential generation)\n")
	writeFates(&b, r)
	_, err := io.WriteString(w, TrimLines(b.String()))
	return err
}

// table writes a titled section: "none" when it has no rows, else an
// aligned table with the given header, rows written by rows.
func table(b *strings.Builder, title string, n int, header string, rows func(io.Writer)) {
	fmt.Fprintf(b, "\n%s\n", title)
	if n == 0 {
		b.WriteString("  none\n")
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\n", header)
	rows(tw)
	tw.Flush()
}

// writeFates lists the first and last tokens of small actors one by one
// (listedTokens) and folds the rest — tokens of actors with many
// replicas, the generations in between, and every credential generation
// — into one line per actor, kind and fate, so a fleet of thousands over
// years stays a page. The lines come in the order their first entity was
// issued, the recycled entities' (fold.go) placed by their serials.
func writeFates(b *strings.Builder, r *Result) {
	e := r.engine
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  entity\tparent\tissued\tended\tcause\tbound by\n")
	type key struct {
		actor    string
		kind     EntityKind
		replaced bool
		cause    EndCause
		by       model.Layer
	}
	type fold struct {
		key
		n      int
		by     layerName
		serial uint32 // the least of its entities'
	}
	var folds []*fold
	byKey := map[key]*fold{}
	count := func(actor string, kind EntityKind, replaced bool, cause EndCause, by layerName, s uint32, n int) {
		k := key{actor, kind, replaced, cause, foldLayer(by.exact)}
		if k.cause == Alive || k.cause == Revoked {
			k.by = model.Layer{}
		}
		g := byKey[k]
		if g == nil {
			g = &fold{key: k, serial: s}
			byKey[k] = g
			folds = append(folds, g)
		}
		g.n += n
		g.by.merge(by)
		g.serial = min(g.serial, s)
	}
	listed := inList{idx: listedTokens(r)}
	for i, n := range r.kept {
		if !listed.has(i) {
			f := e.facts(n)
			count(f.Actor, f.Kind, f.Replaced, f.Cause, layerName{exact: f.BoundBy, any: true}, e.serialOf(n), 1)
			continue
		}
		f := r.Fate(int(n))
		ended := "—"
		if f.Ended {
			ended = FormatOffset(f.EndedAt) + "  " + SinceIssue(f.EndedAt.Sub(f.IssuedAt))
		}
		parent := f.Parent
		if parent == "" {
			parent = "—"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", f.ID, parent, FormatOffset(f.IssuedAt), ended, f.Cause, layerOrDash(f))
	}
	tw.Flush()
	for _, bk := range e.fold.buckets {
		count(r.ActorName(bk.actor), bk.kind.EntityKind(), bk.replaced, bk.cause, bk.name, bk.serial, bk.n)
	}
	slices.SortStableFunc(folds, func(a, b *fold) int { return cmp.Compare(a.serial, b.serial) })
	if len(folds) > 0 {
		b.WriteString("  folded\n")
		tw = tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, g := range folds {
			what := string(g.kind)
			if g.replaced {
				what += ", replaced"
			}
			by := ""
			if g.key.by.Kind != model.LayerNone {
				by = g.by.String()
			}
			fmt.Fprintf(tw, "    %s\t%s\t×%d\t%s\t%s\n", g.actor, what, g.n, g.cause, by)
		}
		tw.Flush()
	}
}

// writeCapped lists each listed token's first renewal cut short by its
// hard end, with the warning Vault returned: the earliest sign, in an
// operator's logs, that the token will end whatever its holder does. The
// others — credentials, tokens of large actors, generations the entity
// list folds, the recycled entities — are folded into one line per actor
// and kind, in the order their first entity was issued.
func writeCapped(b *strings.Builder, r *Result) {
	c := Clock{r.Scenario.Start}
	e := r.engine
	type fold struct {
		actor       string
		kind        EntityKind
		n           int
		serial      uint32        // the least of its entities'
		first       CappedRenewal // the earliest
		firstSerial uint32        // of its entity
		least, most model.Duration
	}
	var rows []Fate
	var folds []*fold
	type foldKey struct {
		actor string
		kind  EntityKind
	}
	byKey := map[foldKey]*fold{}
	count := func(actor string, kind EntityKind, s uint32, n int, first CappedRenewal, firstSerial uint32, least, most model.Duration) {
		k := foldKey{actor, kind}
		g := byKey[k]
		if g == nil {
			g = &fold{actor: actor, kind: kind, serial: s, first: first, firstSerial: firstSerial, least: least, most: most}
			byKey[k] = g
			folds = append(folds, g)
		}
		g.n += n
		g.serial = min(g.serial, s)
		if cappedBefore(first.At, firstSerial, g.first.At, g.firstSerial) {
			g.first, g.firstSerial = first, firstSerial
		}
		g.least, g.most = min(g.least, least), max(g.most, most)
	}
	listed := inList{idx: listedTokens(r)}
	for i, n := range r.kept {
		fc := e.firstCapped(n)
		if fc == nil {
			continue
		}
		if listed.has(i) {
			rows = append(rows, r.Fate(int(n)))
			continue
		}
		kind, actor := e.who(n)
		s := e.serialOf(n)
		count(r.ActorName(actor), kind, s, 1, *fc, s, fc.Before(), fc.Before())
	}
	for _, fc := range e.fold.caps {
		count(r.ActorName(fc.actor), fc.kind.EntityKind(), fc.serial, fc.n, fc.first, fc.firstSerial, fc.least, fc.most)
	}
	slices.SortStableFunc(folds, func(a, b *fold) int { return cmp.Compare(a.serial, b.serial) })
	table(b, "First capped renewals (Vault's warning: the earliest sign of a hard end)", len(rows)+len(folds),
		"entity\tfirst warned\tbefore its hard end\twarning", func(tw io.Writer) {
			for _, f := range rows {
				fc := f.FirstCapped
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.ID, c.Date(fc.At), SpanDays(fc.Before()), strings.Join(fc.Warnings.Messages(), " / "))
			}
			for _, g := range folds {
				before := SpanDays(g.most)
				if g.least != g.most {
					before = SpanDays(g.least) + " to " + before
				}
				fmt.Fprintf(tw, "  %s %s ×%d\t%s\t%s\t%s\n", g.actor, g.kind, g.n, c.Date(g.first.At), before, strings.Join(g.first.Warnings.Messages(), " / "))
			}
		})
}

// SpanDays says how long a span is, in days from one day on: "14h44m8s",
// "1.5 days".
func SpanDays(d model.Duration) string {
	if d < model.Day {
		return d.String()
	}
	return fmt.Sprintf("%.1f days", float64(d)/float64(model.Day))
}

// foldReplicas is the replica count above which an actor's tokens are
// folded in the text report.
const foldReplicas = 5

func layerOrDash(f Fate) string {
	if f.Cause == Alive || f.Cause == Revoked {
		return "—"
	}
	return f.BoundBy.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// TrimLines drops the trailing spaces tabwriter leaves on padded lines.
func TrimLines(s string) string {
	var out strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		out.WriteString(strings.TrimRight(line, " \n"))
		if strings.HasSuffix(line, "\n") {
			out.WriteByte('\n')
		}
	}
	return out.String()
}
