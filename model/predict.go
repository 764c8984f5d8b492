package model

// The lifetime prediction: when an entity ends if its holder renews it as
// it says, given the layer values in force at each instant (the scripted
// tunes and role writes of a scenario). It never computes a TTL itself:
// every grant comes from RenewalGrant or LeaseRenewalGrant, the functions
// RenewToken and RenewLease use, so the prediction and the simulated run
// read the same rules (semantics.md §1, §4, §5.2, §7.1).

// Holder is how an entity's holder renews it, as far as its end goes
// (semantics.md §7.1).
type Holder struct {
	Renews    bool     // renews it for as long as renewal extends it
	AtIssue   bool     // renews it at once when it gets it (the LifetimeWatcher does)
	Watcher   bool     // a LifetimeWatcher: gives up when a grant falls within its grace
	Increment Duration // asked for at each renewal
	Every     Duration // renews at this fixed interval (0: in step with the TTL)
}

// lapses reports whether a grant of ttl may run out before the holder next
// renews, or make a watcher give up (grace drawn from graceBase, §7.1).
func (h Holder) lapses(ttl, graceBase Duration) bool {
	if h.Every > 0 && ttl <= h.Every {
		return true
	}
	// 4·grace is 0.4–0.8 of what the grace was drawn from.
	return h.Watcher && float64(ttl) <= 0.8*float64(graceBase)
}

// Epoch is what a renewal computes under the layer values in force from At
// on: its grant (TTL before any cut to the ceiling, and the hard end), or
// the error that refuses it. Compute the grant with now = the entity's issue
// time, so that an instant past the ceiling still yields the ceiling.
type Epoch struct {
	At    Instant
	Grant Grant
	Err   error
}

// Life is the predicted end of one entity.
type Life struct {
	// End is when it ends by its own layers, if its holder keeps renewing
	// as long as renewal extends it; !Set: never. For a !Exact life At is
	// the latest instant it can end, and By (with HardEnd) how it ends
	// when its holder renews in time.
	End End
	// HardEnd is true when it ends at a hard end (a max layer: the
	// engine's "max-ttl"), false when a granted TTL runs out ("expired").
	HardEnd bool
	// Exact is false when the end depends on exactly when its holder
	// renews (a change lands inside a granted TTL); it then ends within
	// [Earliest, End.At].
	Exact    bool
	Earliest Instant
}

// uncapped is the TTL a renewal asked for before the ceiling cut it.
func uncapped(g Grant) Duration {
	if g.Warnings.TTLCapped {
		return g.Warnings.TTLRequested
	}
	return g.TTL
}

// PredictLife predicts the end of an entity obtained at from whose grant
// first expires at expire. epochs are the renewal grants under the values
// in force from each instant on, in time order; epochs[0].At is from.
//
// The holder renews from its first renewal on (at once with AtIssue, else
// some time before its first expiry), and renewals before each change use
// that epoch's grant: so the entity ends at the first hard end that falls
// before the next change (§4: "the ceiling counts from the original issue
// time"), or at its current expiry when a change puts the hard end at or
// before the change itself ("past the max TTL, cannot renew", §4). Where
// the outcome depends on when exactly the holder renews — a change that
// moves the hard end inside a granted TTL, or one after renewals were cut
// to the ceiling and the holder may have stopped (§7.1) — the life is not
// Exact and [Earliest, End.At] bounds it.
func PredictLife(first Grant, from, expire Instant, renewable bool, h Holder, epochs []Epoch) Life {
	ownEnd := func(g Grant, at Instant) Life {
		end, hard := g.ExpiryEnd(at)
		return Life{End: end, HardEnd: hard, Exact: true, Earliest: at}
	}
	if first.TTLBy.Kind == LayerNonExpiringRoot {
		return Life{Exact: true}
	}
	if !renewable || !h.Renews || len(epochs) == 0 || (h.Every > 0 && h.Every >= expire.Sub(from)) {
		return ownEnd(first, expire)
	}
	const never = Instant(1<<62 - 1)
	// The state entering each epoch: the grant that set the current expiry
	// and the latest that expiry can be (x), exact or not.
	cur, x, xExact := first, expire, true
	lo, hi := never, Instant(0) // ends of the branches where the holder stopped
	// The watcher draws its grace from the TTL (or a smaller increment) and
	// redraws it when a grant is longer than the last one (§7.1).
	lastDur, graceBase := first.TTL, graceOf(first.TTL, h.Increment)
	finish := func(l Life) Life {
		if lo < never || hi > 0 {
			l.Exact = false
			l.Earliest = min(l.Earliest, lo)
			if l.End.Set && hi > l.End.At {
				l.End.At = hi // the latest of all branches
			}
		}
		return l
	}
	for k, ep := range epochs {
		s := ep.At
		next := never
		if k+1 < len(epochs) {
			next = epochs[k+1].At
		}
		g := ep.Grant
		renewsAtS := k == 0 && h.AtIssue
		if ep.Err != nil || (g.HasHardEnd && g.HardEnd <= s) {
			// Renewals are refused until the next change: if that comes
			// after the current expiry, it ends at that expiry.
			l := ownEnd(cur, x)
			if !xExact {
				l.Exact, l.Earliest = false, s+1
			}
			if next >= x {
				return finish(l)
			}
			// Otherwise a renewal before the next change ends it so; one
			// after it (if the holder waits that long) reads new values.
			lo, hi = min(lo, l.Earliest), max(hi, x)
			continue
		}
		ttl := uncapped(g)
		if ttl > lastDur {
			graceBase = graceOf(ttl, h.Increment)
		}
		lastDur = ttl
		if h.lapses(ttl, graceBase) {
			// The holder may stop renewing (or renew too late), and the
			// entity end when this grant runs out.
			lo, hi = min(lo, s+1), max(hi, min(x.Add(ttl), hardOr(g, never)))
		}
		if g.HasHardEnd && g.HardEnd < x && !renewsAtS {
			// The new hard end falls inside the current grant: renewed
			// before it, it ends there; if not, at its current expiry.
			lo, hi = min(lo, g.HardEnd), max(hi, x)
		}
		if !g.HasHardEnd {
			if next == never {
				return finish(Life{Exact: true, Earliest: never})
			}
			cur, x, xExact = g, next.Add(ttl), false
			if !h.AtIssue && next < expire {
				x = max(x, expire) // the first renewal may still be to come
			}
			continue
		}
		H := g.HardEnd
		if next >= H {
			// Capped renewals reach the hard end before anything changes
			// (at a tie the expiry runs before the scripted change, §6.2).
			return finish(Life{End: End{Set: true, At: H, By: g.HardEndBy}, HardEnd: true, Exact: true, Earliest: H})
		}
		if H.Add(-ttl) < next {
			// Renewals before the change may already be cut to the
			// ceiling, and the holder may have stopped there.
			lo, hi = min(lo, H), max(hi, H)
		}
		cur, x, xExact = g, min(next.Add(ttl), H), false
		if !h.AtIssue && next < expire {
			x = max(x, expire) // the first renewal may still be to come
		}
	}
	return finish(Life{Exact: true, Earliest: never}) // unreachable: the last epoch's next is never
}

func hardOr(g Grant, d Instant) Instant {
	if g.HasHardEnd {
		return g.HardEnd
	}
	return d
}

func graceOf(ttl, increment Duration) Duration {
	if increment > 0 && increment < ttl {
		return increment
	}
	return ttl
}

// Bounded is l once its parent's life counts (semantics.md §3.2, §6.1): it
// ends with its parent if the parent ends first (or at the same instant).
// When either end is a range that overlaps the other, the result is a range.
func (l Life) Bounded(parent Life, parentID string) Life {
	if !parent.End.Set && parent.Exact {
		return l // the parent never ends
	}
	if l.End.Set && l.End.At < parent.Earliest {
		return l // the parent ends later whatever happens
	}
	out := Life{End: BoundedByAncestor(l.End, parent.End, parentID), Exact: parent.Exact, Earliest: parent.Earliest}
	if parent.End.Set && ((!l.End.Set && l.Exact) || parent.End.At <= l.Earliest) {
		return out // the parent ends first (or with it) whatever happens
	}
	out.Exact = false
	out.Earliest = min(l.Earliest, parent.Earliest)
	if !parent.End.Set {
		out.End = l.End // the parent may never end: the latest is its own
	}
	out.HardEnd = l.HardEnd && out.End.By == l.End.By
	return out
}
