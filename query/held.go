package query

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
)

// heldMemory is how many bytes of encoded rows a part keeps in memory
// before it spills them to the run's temporary file.
const heldMemory = 256 << 10

// heldRows are the rows of a streaming query's part, held until its log
// object is known to have been read whole (so that a failed object
// contributes no row): encoded in memory, and past heldMemory spilled to
// the run's temporary file, so memory stays bounded however large the
// object. A heldRows is used by one goroutine at a time.
type heldRows struct {
	buf  []byte
	segs []segment
	rows int64
}

// segment is a stretch of the spill file.
type segment struct{ off, n int64 }

func (h *heldRows) add(row []Value, sp *spillFile) error {
	h.buf = appendRow(h.buf, row)
	h.rows++
	if len(h.buf) >= heldMemory {
		seg, err := sp.write(h.buf)
		if err != nil {
			return err
		}
		h.segs = append(h.segs, seg)
		h.buf = h.buf[:0]
	}
	return nil
}

// replay calls fn with each held row, in order; the row is valid only
// during the call. Spilled rows are read back into *buf (the caller's,
// grown as needed). It stops at fn's first error.
func (h *heldRows) replay(sp *spillFile, buf *[]byte, fn func([]Value) error) error {
	var row []Value
	each := func(data []byte) error {
		for len(data) > 0 {
			var err error
			if row, data, err = decodeRow(row[:0], data); err != nil {
				return err
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		return nil
	}
	for _, sg := range h.segs {
		data, err := sp.read(sg, buf)
		if err != nil {
			return err
		}
		if err := each(data); err != nil {
			return err
		}
	}
	err := each(h.buf)
	*h = heldRows{}
	return err
}

// drop forgets the rows; their spilled bytes stay in the file until the
// run ends.
func (h *heldRows) drop(*spillFile) { *h = heldRows{} }

// spillFile is a run's temporary file for held rows, created on first
// use (private to the user: rows hold addresses, requesters and keys)
// and removed by close. It is safe for concurrent use.
type spillFile struct {
	mu   sync.Mutex
	f    *os.File
	size int64
}

func (s *spillFile) write(b []byte) (segment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		f, err := os.CreateTemp("", "s3logs-rows-*")
		if err != nil {
			return segment{}, fmt.Errorf("holding rows of objects still being read: %w", err)
		}
		s.f = f
	}
	if _, err := s.f.WriteAt(b, s.size); err != nil {
		return segment{}, fmt.Errorf("holding rows of objects still being read: %w", err)
	}
	seg := segment{s.size, int64(len(b))}
	s.size += int64(len(b))
	return seg, nil
}

// read returns a segment's bytes, read into *buf (grown as needed) and
// valid until its next use.
func (s *spillFile) read(sg segment, buf *[]byte) ([]byte, error) {
	s.mu.Lock()
	f := s.f
	s.mu.Unlock()
	if int64(cap(*buf)) < sg.n {
		*buf = make([]byte, sg.n)
	}
	b := (*buf)[:sg.n]
	if _, err := f.ReadAt(b, sg.off); err != nil {
		return nil, fmt.Errorf("reading held rows back: %w", err)
	}
	return b, nil
}

func (s *spillFile) close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
}

// appendRow appends a self-delimiting binary encoding of row: the number
// of values, then each value's kind, a DECIMAL's precision and scale, and
// its fields.
func appendRow(dst []byte, row []Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(row)))
	for _, v := range row {
		dst = append(dst, byte(v.Kind), v.prec, v.scale)
		dst = binary.AppendVarint(dst, v.I)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.F))
		if v.S == nil {
			dst = append(dst, 0)
			continue
		}
		dst = append(dst, 1)
		dst = binary.AppendUvarint(dst, uint64(len(v.S)))
		dst = append(dst, v.S...)
	}
	return dst
}

var errHeldCorrupt = errors.New("held rows: corrupt encoding")

// decodeRow decodes one row from b into dst, returning the rest of b.
// String values refer into b.
func decodeRow(dst []Value, b []byte) ([]Value, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return dst, nil, errHeldCorrupt
	}
	b = b[k:]
	for range n {
		if len(b) < 3 {
			return dst, nil, errHeldCorrupt
		}
		v := Value{Kind: Kind(b[0]), prec: b[1], scale: b[2]}
		b = b[3:]
		i, k := binary.Varint(b)
		if k <= 0 || len(b) < k+9 {
			return dst, nil, errHeldCorrupt
		}
		v.I = i
		b = b[k:]
		v.F = math.Float64frombits(binary.LittleEndian.Uint64(b))
		hasS := b[8]
		b = b[9:]
		if hasS == 1 {
			l, k := binary.Uvarint(b)
			if k <= 0 || uint64(len(b)-k) < l {
				return dst, nil, errHeldCorrupt
			}
			v.S = b[k : k+int(l) : k+int(l)]
			b = b[k+int(l):]
		}
		dst = append(dst, v)
	}
	return dst, b, nil
}
