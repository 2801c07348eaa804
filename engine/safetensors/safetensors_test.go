package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"github.com/actsh/actsh/internal/fixture"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const gpt2Path = "testdata/gpt2.safetensors" // copy of reference/gpt2/checkpoint/model.safetensors

func TestRoundTripEveryDType(t *testing.T) {
	raw := func(n int, fill func(b []byte)) []byte { b := make([]byte, n); fill(b); return b }
	seq := func(b []byte) {
		for i := range b {
			b[i] = byte(i*37 + 11)
		}
	}
	tests := []struct {
		name  string
		t     Tensor
		f32   []float32 // expected Float32, nil when not a float
		i64   []int64   // expected Int64, nil when not an int
		wantF bool
	}{
		{name: "F32", t: F32("x", []int{2, 2}, []float32{1, -2.5, float32(math.Inf(1)), 1e-40}), f32: []float32{1, -2.5, float32(math.Inf(1)), 1e-40}},
		{name: "F64", t: F64("x", []int{3}, []float64{1, -0.1, 1e300}), f32: []float32{1, float32(-0.1), float32(math.Inf(1))}},
		{name: "F16", t: F16("x", []int{3}, []float32{1, -0.5, 65504}), f32: []float32{1, -0.5, 65504}},
		{name: "BF16", t: BF16("x", []int{3}, []float32{1, -0.5, 3.0e38}), f32: []float32{1, -0.5, BFloat16ToFloat32(Float32ToBFloat16(3.0e38))}},
		{name: "I64", t: I64("x", []int{2}, []int64{math.MinInt64, math.MaxInt64}), i64: []int64{math.MinInt64, math.MaxInt64}},
		{name: "I32", t: I32("x", []int{3}, []int32{-1, 0, math.MaxInt32}), i64: []int64{-1, 0, math.MaxInt32}},
		{name: "I16", t: Tensor{Name: "x", DType: DTypeI16, Shape: []int{2}, Data: []byte{0xff, 0xff, 0x00, 0x80}}, i64: []int64{-1, math.MinInt16}},
		{name: "I8", t: Tensor{Name: "x", DType: DTypeI8, Shape: []int{2}, Data: []byte{0xff, 0x7f}}, i64: []int64{-1, 127}},
		{name: "U8", t: Tensor{Name: "x", DType: DTypeU8, Shape: []int{2}, Data: []byte{0xff, 0x7f}}, i64: []int64{255, 127}},
		{name: "U16", t: Tensor{Name: "x", DType: DTypeU16, Shape: []int{1}, Data: []byte{0xff, 0xff}}, i64: []int64{65535}},
		{name: "U32", t: Tensor{Name: "x", DType: DTypeU32, Shape: []int{1}, Data: []byte{0xff, 0xff, 0xff, 0xff}}, i64: []int64{math.MaxUint32}},
		{name: "U64", t: Tensor{Name: "x", DType: DTypeU64, Shape: []int{1}, Data: []byte{1, 0, 0, 0, 0, 0, 0, 0}}, i64: []int64{1}},
		{name: "BOOL", t: Tensor{Name: "x", DType: DTypeBool, Shape: []int{3}, Data: []byte{1, 0, 1}}, i64: []int64{1, 0, 1}},
		{name: "scalar", t: F32("x", []int{}, []float32{7}), f32: []float32{7}},
		{name: "empty", t: F32("x", []int{0, 4}, nil), f32: []float32{}},
		{name: "bytes", t: Tensor{Name: "x", DType: DTypeU8, Shape: []int{5, 7}, Data: raw(35, seq)}, i64: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "t.safetensors")
			other := F32("a_other", []int{1}, []float32{42}) // sorts before "x": x's offset is non-zero
			meta := map[string]string{"format": "pt", "dtype": tt.name}
			if err := Write(p, []Tensor{tt.t, other}, meta); err != nil {
				t.Fatal(err)
			}
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.Names(); !reflect.DeepEqual(got, []string{"a_other", "x"}) {
				t.Errorf("Names = %v", got)
			}
			in, ok := f.Info("x")
			if !ok || in.DType != tt.t.DType || !slices.Equal(in.Shape, tt.t.Shape) || in.Offset != 4 || in.Size != int64(len(tt.t.Data)) {
				t.Errorf("Info = %+v, %v", in, ok)
			}
			if got := f.Metadata(); !reflect.DeepEqual(got, meta) {
				t.Errorf("Metadata = %v, want %v", got, meta)
			}
			b, err := f.Bytes("x")
			if err != nil || !bytes.Equal(b, tt.t.Data) {
				t.Errorf("Bytes = %v, %v; want %v", b, err, tt.t.Data)
			}
			dt, shape, b, err := f.Raw("x")
			if err != nil || dt != tt.t.DType || !slices.Equal(shape, tt.t.Shape) || !bytes.Equal(b, tt.t.Data) {
				t.Errorf("Raw = %s %v %v %v; want %s %v %v", dt, shape, b, err, tt.t.DType, tt.t.Shape, tt.t.Data)
			}
			v, shape, err := f.Float32("x")
			switch {
			case tt.f32 != nil:
				// Exact: every expected value is the one the dtype stores.
				if err != nil || !slices.Equal(shape, tt.t.Shape) || !slices.Equal(v, tt.f32) {
					t.Errorf("Float32 = %v %v %v; want %v", v, shape, err, tt.f32)
				}
			case err == nil || !strings.Contains(err.Error(), "not a float type"):
				t.Errorf("Float32 on %s: err = %v, want 'not a float type'", tt.t.DType, err)
			}
			iv, shape, err := f.Int64("x")
			switch {
			case tt.i64 != nil:
				if err != nil || !slices.Equal(shape, tt.t.Shape) || !slices.Equal(iv, tt.i64) {
					t.Errorf("Int64 = %v %v %v; want %v", iv, shape, err, tt.i64)
				}
			case tt.t.DType.IsFloat() && (err == nil || !strings.Contains(err.Error(), "not an integer type")):
				t.Errorf("Int64 on %s: err = %v", tt.t.DType, err)
			}
		})
	}
}

func TestEncodeLayout(t *testing.T) {
	ts := []Tensor{F32("b", []int{1}, []float32{2}), F32("a", []int{1}, []float32{1})}
	b1, err := Encode(ts, map[string]string{"z": "1", "a": "2"})
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Encode([]Tensor{ts[1], ts[0]}, map[string]string{"a": "2", "z": "1"})
	if !bytes.Equal(b1, b2) {
		t.Errorf("Encode depends on input order")
	}
	n := binary.LittleEndian.Uint64(b1)
	if n%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", n)
	}
	h := string(b1[8 : 8+n])
	want := `{"__metadata__":{"a":"2","z":"1"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`
	if strings.TrimRight(h, " ") != want || len(h)-len(want) >= 8 {
		t.Errorf("header = %q\nwant %q padded with < 8 spaces", h, want)
	}
	if got := b1[8+n:]; !bytes.Equal(got, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}) {
		t.Errorf("data = %x", got)
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		tensors []Tensor
		want    string
	}{
		{"duplicate", "d.safetensors", []Tensor{F32("a", []int{1}, []float32{1}), F32("a", []int{1}, []float32{1})}, `tensor "a" given twice`},
		{"size", "s.safetensors", []Tensor{F32("a", []int{3}, []float32{1})}, `4 bytes of data, but F32 shape [3] needs 12`},
		{"dtype", "t.safetensors", []Tensor{{Name: "a", DType: "F8", Shape: []int{1}, Data: []byte{1}}}, `unknown dtype "F8"`},
		{"negative", "n.safetensors", []Tensor{{Name: "a", DType: DTypeU8, Shape: []int{-1}}}, `negative dim`},
		{"reserved", "r.safetensors", []Tensor{F32("__metadata__", []int{1}, []float32{1})}, `invalid tensor name`},
		{"no folder", "missing/x.safetensors", []Tensor{F32("a", []int{1}, []float32{1})}, `no such file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(filepath.Join(dir, tt.path), tt.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed writes left %v", ents)
	}
}

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.safetensors")
	for i := range 3 {
		if err := Write(p, []Tensor{F32("a", []int{1}, []float32{float32(i)})}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("folder holds %v, want only x.safetensors", ents)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _, _ := f.Float32("a"); v[0] != 2 {
		t.Errorf("a = %v, want the last write", v)
	}
}

// TestGPT2Checkpoint reads the reference GPT-2 checkpoint and checks every
// tensor against a decoding done here with encoding/json and math.
func TestGPT2Checkpoint(t *testing.T) {
	f, err := Open(gpt2Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkAgainstDecoding(t, f, gpt2Path)
	if f.Metadata()["format"] != "pt" {
		t.Errorf("metadata = %v", f.Metadata())
	}
	if _, _, err := f.Float32("wte.weigth"); err == nil || !strings.Contains(err.Error(), `no tensor "wte.weigth"`) {
		t.Errorf("missing tensor: err = %v", err)
	}
}

// TestReferenceCheckpoints opens every reference checkpoint folder shipped
// in testdata/reference as a Set.
func TestReferenceCheckpoints(t *testing.T) {
	pattern := fixture.Reference(t, "*", "checkpoint")
	dirs, _ := filepath.Glob(pattern)
	if len(dirs) == 0 {
		t.Fatalf("no reference checkpoints at %s", pattern)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(dir)), func(t *testing.T) {
			s, err := OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, p := range s.Files() {
				f, err := Open(p)
				if err != nil {
					t.Fatal(err)
				}
				checkAgainstDecoding(t, f, p)
				f.Close()
			}
		})
	}
}

// checkAgainstDecoding compares every tensor of f (F32 or BF16/F16, as the
// references hold) with an independent decoding of the file at path.
// Exact comparison: both sides decode the same bits.
func checkAgainstDecoding(t *testing.T, f *File, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	delete(hdr, "__metadata__")
	if len(f.Names()) != len(hdr) || len(hdr) == 0 {
		t.Fatalf("%d names, header has %d", len(f.Names()), len(hdr))
	}
	for _, name := range f.Names() {
		var e struct {
			DType   string  `json:"dtype"`
			Shape   []int   `json:"shape"`
			Offsets []int64 `json:"data_offsets"`
		}
		json.Unmarshal(hdr[name], &e)
		v, shape, err := f.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(shape, e.Shape) {
			t.Errorf("%s: shape %v, want %v", name, shape, e.Shape)
		}
		data := raw[8+n+uint64(e.Offsets[0]) : 8+n+uint64(e.Offsets[1])]
		for i := range v {
			var w float32
			switch e.DType {
			case "F32":
				w = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			case "BF16":
				w = math.Float32frombits(uint32(binary.LittleEndian.Uint16(data[2*i:])) << 16)
			default:
				t.Skipf("%s: dtype %s not decoded by this test", name, e.DType)
			}
			if math.Float32bits(v[i]) != math.Float32bits(w) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, v[i], w)
			}
		}
	}
}

// TestSharded splits the GPT-2 checkpoint across 3 shards with an index and
// checks the set reads identically, tensor by tensor.
func TestSharded(t *testing.T) {
	src, err := Open(gpt2Path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := t.TempDir()
	names := src.Names()
	weightMap := map[string]string{}
	for s := range 3 {
		var ts []Tensor
		shard := []string{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"}[s]
		for i, n := range names {
			if i%3 != s {
				continue
			}
			in, _ := src.Info(n)
			b, _ := src.Bytes(n)
			ts = append(ts, Tensor{Name: n, DType: in.DType, Shape: in.Shape, Data: b})
			weightMap[n] = shard
		}
		if err := Write(filepath.Join(dir, shard), ts, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
	}
	writeIndex(t, dir, weightMap)
	set, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if !slices.Equal(set.Names(), names) {
		t.Fatalf("names differ: %v", set.Names())
	}
	if m := set.Metadata(); m["format"] != "pt" || m["total_size"] != "123" {
		t.Errorf("metadata = %v", m)
	}
	if len(set.Files()) != 3 {
		t.Errorf("files = %v", set.Files())
	}
	for _, n := range names {
		a, sa, _ := src.Float32(n)
		b, sb, err := set.Float32(n)
		if err != nil || !slices.Equal(a, b) || !slices.Equal(sa, sb) {
			t.Errorf("%s differs: %v", n, err)
		}
		ia, _ := src.Info(n)
		ib, _ := set.Info(n)
		if ia.DType != ib.DType || ia.Size != ib.Size {
			t.Errorf("%s info %+v vs %+v", n, ia, ib)
		}
		ra, _ := src.Bytes(n)
		dt, shape, rb, err := set.Raw(n)
		if err != nil || dt != ia.DType || !slices.Equal(shape, ia.Shape) || !bytes.Equal(ra, rb) {
			t.Errorf("%s Raw = %s %v %v, want %s %v", n, dt, shape, err, ia.DType, ia.Shape)
		}
	}
}

func writeIndex(t *testing.T, dir string, weightMap map[string]string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 123}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, IndexName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDirLayouts(t *testing.T) {
	a := []Tensor{F32("a", []int{1}, []float32{1})}
	b := []Tensor{F32("b", []int{1}, []float32{2})}
	tests := []struct {
		name  string
		files map[string][]Tensor
		index map[string]string
		want  []string // tensor names, or nil when an error is expected
		err   string
	}{
		{name: "single", files: map[string][]Tensor{"model.safetensors": a}, want: []string{"a"}},
		{name: "model wins over others", files: map[string][]Tensor{"model.safetensors": a, "extra.safetensors": b}, want: []string{"a"}},
		{name: "any single file", files: map[string][]Tensor{"weights.safetensors": b}, want: []string{"b"}},
		{name: "several without index", files: map[string][]Tensor{"x.safetensors": a, "y.safetensors": b}, want: []string{"a", "b"}},
		{name: "duplicate without index", files: map[string][]Tensor{"x.safetensors": a, "y.safetensors": a}, err: `tensor "a" is in both`},
		{name: "empty folder", files: map[string][]Tensor{}, err: "no model.safetensors.index.json, model.safetensors or *.safetensors (holds nothing)"},
		{name: "index missing shard", files: map[string][]Tensor{"s1.safetensors": a}, index: map[string]string{"a": "s1.safetensors", "b": "s2.safetensors"},
			err: `weight_map names shard s2.safetensors (for 1 tensors, e.g. "b") but`},
		{name: "index tensor absent", files: map[string][]Tensor{"s1.safetensors": a, "s2.safetensors": b}, index: map[string]string{"a": "s1.safetensors", "b": "s2.safetensors", "c": "s2.safetensors"},
			err: `weight_map puts tensor "c" in s2.safetensors, which does not hold it`},
		{name: "duplicate across shards", files: map[string][]Tensor{"s1.safetensors": a, "s2.safetensors": append(a[:1:1], b...)}, index: map[string]string{"a": "s1.safetensors", "b": "s2.safetensors"},
			err: `tensor "a" is in both`},
		{name: "index escapes", files: map[string][]Tensor{"s1.safetensors": a}, index: map[string]string{"a": "../s1.safetensors"}, err: "outside the folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, ts := range tt.files {
				if err := Write(filepath.Join(dir, name), ts, nil); err != nil {
					t.Fatal(err)
				}
			}
			if tt.index != nil {
				writeIndex(t, dir, tt.index)
			}
			s, err := OpenDir(dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "safetensors: ") {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !slices.Equal(s.Names(), tt.want) {
				t.Errorf("names = %v, want %v", s.Names(), tt.want)
			}
		})
	}
	if _, err := OpenDir(filepath.Join(t.TempDir(), "nope")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing folder: %v", err)
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), IndexName), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// file builds a safetensors file from a header and a data section.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestMalformed(t *testing.T) {
	ok := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	withLen := func(n uint64, rest string) []byte { return append(binary.LittleEndian.AppendUint64(nil, n), rest...) }
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "file is 3 bytes, shorter than the 8-byte header length"},
		{"empty", nil, "file is 0 bytes"},
		{"header beyond file", withLen(100, "{}"), "header length 100 is larger than the 2 bytes after the length prefix"},
		{"header absurd", withLen(1<<40, "{}"), "header length 1099511627776 exceeds the 100000000-byte limit"},
		{"not json", file(`{"a":`, nil), "header is not JSON"},
		{"not object", file(`[1,2]`, nil), "header is not a JSON object"},
		{"not utf8", file("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"unknown dtype", file(`{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`, make([]byte, 1)), `tensor "a": unknown dtype "F8_E4M3"`},
		{"missing dtype", file(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a": missing dtype`},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "a": shape [-2] has negative dim -2`},
		{"fractional dim", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}`, make([]byte, 8)), `dim 0: 1.5 is not an integer`},
		{"offsets arity", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`, make([]byte, 8)), `data_offsets [0] must be [begin, end]`},
		{"begin after end", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, make([]byte, 8)), `data_offsets [8, 0] begin > end`},
		{"negative offset", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[-4,0]}}`, make([]byte, 8)), `are negative`},
		{"size mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), `data_offsets [0, 8] hold 8 bytes, but F32 shape [3] needs 12`},
		{"truncated", file(ok, make([]byte, 5)), `tensor "a": data_offsets [0, 8] end beyond the data section of 5 bytes (truncated file?)`},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)),
			`tensor "b": data_offsets [4, 8] overlap tensor "a" ending at 8`},
		{"hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)),
			`tensor "b": data_offsets [8, 12] leave a hole of 4 bytes after offset 4`},
		{"trailing", file(ok, make([]byte, 12)), "tensors cover 8 bytes but the data section has 12: 4 trailing bytes"},
		{"bad metadata", file(`{"__metadata__":{"a":1}}`, nil), "__metadata__ must map strings to strings"},
		{"unknown field", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, make([]byte, 8)), `unknown field "x"`},
		{"shape overflow", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), `overflows`},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".safetensors")
			if err := os.WriteFile(p, tt.file, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(p)
			if err == nil {
				t.Fatalf("Open succeeded, want error containing %q", tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, "safetensors: "+p+": ") {
				t.Errorf("err = %q\nwant prefix %q and %q", msg, "safetensors: "+p+": ", tt.want)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "absent.safetensors")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("absent file: %v", err)
	}
}

func TestZeroSizeTensorsShareOffsets(t *testing.T) {
	p := filepath.Join(t.TempDir(), "z.safetensors")
	h := `{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`
	os.WriteFile(p, file(h, make([]byte, 4)), 0o644)
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := f.Bytes("b"); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("read after Close: %v", err)
	}
}

func TestFloat32To(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.safetensors")
	if err := Write(p, []Tensor{BF16("a", []int{2}, []float32{1, 2}), F32("b", []int{3}, []float32{3, 4, 5})}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]float32, 0, 3)
	tests := []struct {
		name   string
		want   []float32
		reused bool
	}{
		{"b", []float32{3, 4, 5}, true},
		{"a", []float32{1, 2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := f.Float32To(buf, tt.name)
			if err != nil || !slices.Equal(got, tt.want) || (&got[0] == &buf[:1][0]) != tt.reused {
				t.Errorf("Float32To = %v, %v (reused %v)", got, err, &got[0] == &buf[:1][0])
			}
		})
	}
	if got, _, _ := f.Float32To(make([]float32, 1), "b"); len(got) != 3 {
		t.Errorf("short dst: got %v", got)
	}
}
