package sim

// dropCalTimer cancels key k's timer when it is in the calendar, the
// common case in a cascade, and reports whether it did; else the caller
// calls CancelTimer. It is unsetTimer's calendar case (the node goes
// stale), small enough to inline into the cascade's loop: a million
// descendants each made a call to do two stores.
func (q *Queue) dropCalTimer(k int32) bool {
	if uint(k) >= uint(len(q.timers)) {
		return false
	}
	if t := &q.timers[k]; t.seq-1 < inHeap-1 { // 0 < seq < inHeap
		*t = timer{}
		q.cal.count--
		return true
	}
	return false
}
