package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// rowSpill holds a streamed log's "revocation" lines until the run is
// over: events.jsonl lists them after the cliff lines, which only the end
// of the run knows, and a fleet that ends leases in most seconds has one
// line per lease ended (565,000 in a year of a re-reading fleet). Each
// line is encoded as its second is folded and written through a bounded
// buffer to Options.LogSpill, and copied into the log after the cliffs,
// so the run holds none of them.
type rowSpill struct {
	to  io.ReadWriteSeeker
	buf *bufio.Writer
	enc *json.Encoder
	c   Clock
	err error // the first error: nothing more is written after it
}

func newRowSpill(to io.ReadWriteSeeker, c Clock) *rowSpill {
	buf := bufio.NewWriterSize(to, 64<<10)
	return &rowSpill{to: to, buf: buf, enc: json.NewEncoder(buf), c: c}
}

// add encodes one second's line.
func (s *rowSpill) add(sec RevocationSecond) {
	if s.err == nil {
		s.err = s.enc.Encode(revocationLineOf(s.c, sec))
	}
}

// copyTo writes every line added, in order, to w.
func (s *rowSpill) copyTo(w io.Writer) error {
	if s.err == nil {
		s.err = s.buf.Flush()
	}
	if s.err == nil {
		_, s.err = s.to.Seek(0, io.SeekStart)
	}
	if s.err != nil {
		return spillErr(s.err)
	}
	_, err := io.Copy(w, spillReader{s.to})
	return err
}

func spillErr(err error) error {
	return fmt.Errorf("the revocation lines' temporary file: %w", err)
}

// spillReader names the temporary file in its read errors: a write error
// in the copy is the log's own.
type spillReader struct{ r io.Reader }

func (s spillReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = spillErr(err)
	}
	return n, err
}

// spilled is the spill of a run whose revocation lines wait in one; nil
// for a revoker that keeps them in memory, or no revoker.
func (r *revoker) spilled() *rowSpill {
	if r == nil {
		return nil
	}
	return r.rowFold.spill
}
