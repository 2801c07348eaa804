package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize caps the JSON header length (the Rust implementation's limit):
// a larger length prefix means a corrupt or hostile file.
const MaxHeaderSize = 100_000_000

// Info describes one tensor of a file. Offset is relative to the start of the
// data section (the byte after the header); Size is its length in bytes.
type Info struct {
	Name   string
	DType  DType
	Shape  []int
	Offset int64
	Size   int64
}

// Elements returns the number of elements, the product of Shape (1 for a scalar).
func (i Info) Elements() int {
	n := 1
	for _, d := range i.Shape {
		n *= d
	}
	return n
}

type rawEntry struct {
	DType   DType             `json:"dtype"`
	Shape   []json.RawMessage `json:"shape"`
	Offsets []json.RawMessage `json:"data_offsets"`
}

// ParseHeader parses and validates a safetensors JSON header describing a
// data section of dataLen bytes. It returns the tensors sorted by name and
// the "__metadata__" map (nil when absent).
//
// Like the Rust implementation it requires the tensors to tile the data
// section exactly: sorted by offset, each begins where the previous ended and
// the last ends at dataLen, so holes, overlaps and trailing bytes are errors.
func ParseHeader(header []byte, dataLen int64) ([]Info, map[string]string, error) {
	infos, meta, err := parseHeader(header, dataLen)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	return infos, meta, nil
}

func parseHeader(header []byte, dataLen int64) ([]Info, map[string]string, error) {
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(header, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, fmt.Errorf("header is not a JSON object (starts with %q)", prefix(header, 16))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, nil, fmt.Errorf("header is not JSON: %w", err)
	}
	var meta map[string]string
	infos := make([]Info, 0, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("__metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		info, err := parseEntry(name, msg)
		if err != nil {
			return nil, nil, err
		}
		infos = append(infos, info)
	}
	if err := checkLayout(infos, dataLen); err != nil {
		return nil, nil, err
	}
	sort.Slice(infos, func(a, b int) bool { return infos[a].Name < infos[b].Name })
	return infos, meta, nil
}

func parseEntry(name string, msg json.RawMessage) (Info, error) {
	var e rawEntry
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Info{}, fmt.Errorf("tensor %q: bad entry %s: %w", name, prefix(msg, 80), err)
	}
	if e.DType == "" {
		return Info{}, fmt.Errorf("tensor %q: missing dtype", name)
	}
	if !e.DType.Valid() {
		return Info{}, fmt.Errorf("tensor %q: unknown dtype %q", name, string(e.DType))
	}
	if e.Shape == nil {
		return Info{}, fmt.Errorf("tensor %q: missing shape", name)
	}
	info := Info{Name: name, DType: e.DType, Shape: make([]int, len(e.Shape))}
	elems := int64(1)
	for i, r := range e.Shape {
		d, err := intValue(r)
		if err != nil {
			return Info{}, fmt.Errorf("tensor %q: shape %s: dim %d: %w", name, joinRaw(e.Shape), i, err)
		}
		if d < 0 {
			return Info{}, fmt.Errorf("tensor %q: shape %s has negative dim %d", name, joinRaw(e.Shape), d)
		}
		if d > 0 && elems > math.MaxInt64/8/d {
			return Info{}, fmt.Errorf("tensor %q: shape %s overflows", name, joinRaw(e.Shape))
		}
		elems *= d
		info.Shape[i] = int(d)
	}
	if len(e.Offsets) != 2 {
		return Info{}, fmt.Errorf("tensor %q: data_offsets %s must be [begin, end]", name, joinRaw(e.Offsets))
	}
	begin, err1 := intValue(e.Offsets[0])
	end, err2 := intValue(e.Offsets[1])
	if err := errors.Join(err1, err2); err != nil {
		return Info{}, fmt.Errorf("tensor %q: data_offsets %s: %w", name, joinRaw(e.Offsets), err)
	}
	if begin < 0 || end < 0 {
		return Info{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] are negative", name, begin, end)
	}
	if begin > end {
		return Info{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] begin > end", name, begin, end)
	}
	want := elems * int64(e.DType.Size())
	if end-begin != want {
		return Info{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] hold %d bytes, but %s shape %v needs %d",
			name, begin, end, end-begin, e.DType, info.Shape, want)
	}
	info.Offset, info.Size = begin, end-begin
	return info, nil
}

// checkLayout verifies that the tensors tile [0, dataLen) without holes or overlaps.
func checkLayout(infos []Info, dataLen int64) error {
	byOff := make([]Info, len(infos))
	copy(byOff, infos)
	sort.Slice(byOff, func(a, b int) bool {
		if byOff[a].Offset != byOff[b].Offset {
			return byOff[a].Offset < byOff[b].Offset
		}
		if byOff[a].Size != byOff[b].Size {
			return byOff[a].Size < byOff[b].Size
		}
		return byOff[a].Name < byOff[b].Name
	})
	var pos int64
	prev := ""
	for _, in := range byOff {
		end := in.Offset + in.Size
		if end > dataLen {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] end beyond the data section of %d bytes (truncated file?)",
				in.Name, in.Offset, end, dataLen)
		}
		switch {
		case in.Offset < pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q ending at %d", in.Name, in.Offset, end, prev, pos)
		case in.Offset > pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a hole of %d bytes after offset %d", in.Name, in.Offset, end, in.Offset-pos, pos)
		}
		pos, prev = end, in.Name
	}
	if pos != dataLen {
		return fmt.Errorf("tensors cover %d bytes but the data section has %d: %d trailing bytes", pos, dataLen, dataLen-pos)
	}
	return nil
}

// intValue decodes a non-fractional JSON number into an int64.
func intValue(r json.RawMessage) (int64, error) {
	var v int64
	if err := json.Unmarshal(r, &v); err != nil {
		return 0, fmt.Errorf("%s is not an integer", prefix(r, 40))
	}
	return v, nil
}

func joinRaw(rs []json.RawMessage) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(r)
	}
	b.WriteByte(']')
	return prefix(b.Bytes(), 120)
}

func prefix(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
