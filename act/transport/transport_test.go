package transport_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
)

func additiveTransport(points ...string) *transport.Transport {
	t := transport.New()
	t.Meta = transport.Meta{Method: "mean_ot", Model: "tiny-llama", Support: "q_all", Position: "all"}
	for i, p := range points {
		m := &transport.Map{W: []float32{1, 1, 1, 1}, B: []float32{float32(i), 0.5, -2, 1e-3}}
		m.Lo = []float32{-1e6, -1e6, -1e6, -1e6}
		m.Hi = []float32{1e6, 1e6, 1e6, 1e6}
		t.Set(p, m)
	}
	return t
}

// gguf is what our minimal reader takes out of a control-vector file.
type gguf struct {
	version uint32
	kv      map[string]any
	tensors map[string][]float32
	order   []string
}

// readGGUF parses a GGUF v3 file with string and uint32 values and 1-D F32
// tensors, checking alignment of the data section and tensor offsets.
func readGGUF(t *testing.T, raw []byte) *gguf {
	t.Helper()
	r := bytes.NewReader(raw)
	rd := func(v any) {
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			t.Fatalf("gguf: %v", err)
		}
	}
	str := func() string {
		var n uint64
		rd(&n)
		b := make([]byte, n)
		rd(b)
		return string(b)
	}
	magic := make([]byte, 4)
	rd(magic)
	if string(magic) != "GGUF" {
		t.Fatalf("magic %q", magic)
	}
	g := &gguf{kv: map[string]any{}, tensors: map[string][]float32{}}
	rd(&g.version)
	var nt, nkv uint64
	rd(&nt)
	rd(&nkv)
	for range nkv {
		k := str()
		var typ uint32
		rd(&typ)
		switch typ {
		case 8:
			g.kv[k] = str()
		case 4:
			var v uint32
			rd(&v)
			g.kv[k] = v
		default:
			t.Fatalf("kv %s: type %d", k, typ)
		}
	}
	type info struct {
		n   uint64
		off uint64
	}
	infos := map[string]info{}
	for range nt {
		name := str()
		var dims uint32
		rd(&dims)
		if dims != 1 {
			t.Fatalf("%s: %d dims", name, dims)
		}
		var n, off uint64
		var typ uint32
		rd(&n)
		rd(&typ)
		rd(&off)
		if typ != 0 {
			t.Fatalf("%s: type %d, want F32 (0)", name, typ)
		}
		if off%32 != 0 {
			t.Fatalf("%s: offset %d not aligned to 32", name, off)
		}
		infos[name] = info{n, off}
		g.order = append(g.order, name)
	}
	start := int(r.Size()) - r.Len()
	start = (start + 31) / 32 * 32
	for name, in := range infos {
		v := make([]float32, in.n)
		for i := range v {
			p := start + int(in.off) + 4*i
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[p:]))
		}
		g.tensors[name] = v
	}
	return g
}

func TestExportGGUF(t *testing.T) {
	tr := additiveTransport("model.layers.1.mlp.down_proj", "model.layers.3")
	path := filepath.Join(t.TempDir(), "cv.gguf")
	if err := tr.ExportGGUF(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g := readGGUF(t, raw)
	if g.version != 3 {
		t.Errorf("version %d, want 3", g.version)
	}
	for k, want := range map[string]any{
		"general.architecture":      "controlvector",
		"controlvector.model_hint":  "tiny-llama",
		"controlvector.layer_count": uint32(2),
	} {
		if g.kv[k] != want {
			t.Errorf("%s = %v, want %v", k, g.kv[k], want)
		}
	}
	if fmt.Sprint(g.order) != "[direction.1 direction.3]" {
		t.Errorf("tensors %v, want [direction.1 direction.3]", g.order)
	}
	for name, p := range map[string]string{"direction.1": "model.layers.1.mlp.down_proj", "direction.3": "model.layers.3"} {
		if fmt.Sprint(g.tensors[name]) != fmt.Sprint(tr.Maps[p].B) {
			t.Errorf("%s = %v, want b of %s %v", name, g.tensors[name], p, tr.Maps[p].B)
		}
	}
}

func TestExportGGUFRefuses(t *testing.T) {
	scaled := additiveTransport("model.layers.2")
	scaled.Maps["model.layers.2"].W[1] = 0.5
	gated := additiveTransport("model.layers.2")
	gated.Maps["model.layers.2"].Hi[0] = 3
	for _, tc := range []struct {
		name string
		tr   *transport.Transport
		want string
	}{
		{"scaling", scaled, "w = 0.5"},
		{"support", gated, "cannot gate"},
		{"inside block", additiveTransport("model.layers.2.post_attention_layernorm"), "does not map"},
		{"block 0", additiveTransport("transformer.h.0.mlp"), "block 0"},
		{"same layer", additiveTransport("model.layers.2", "model.layers.2.mlp"), "both map to layer 2"},
		{"empty", transport.New(), "no maps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cv.gguf")
			err := tc.tr.ExportGGUF(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "transport: ") {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("a refused export left a file")
			}
		})
	}
}

func TestDiagnose(t *testing.T) {
	tr := transport.New()
	tr.Set("p", &transport.Map{W: []float32{1, 2}, B: []float32{1, 0}, Lo: []float32{0, 0}, Hi: []float32{10, 10}})
	src := [][]float32{{1, 1}, {3, -1}} // inside: 1,1,3 ; outside: -1
	d, err := tr.Diagnose("p", src)
	if err != nil {
		t.Fatal(err)
	}
	// Displacements: sample 0 (1, 1) → ‖·‖² = 2; sample 1 (1, 0) → 1. Exact in float32.
	if d.Cost != 1.5 || d.Coverage != 0.75 || d.Samples != 2 || d.Units != 2 {
		t.Errorf("got %+v, want cost 1.5, coverage 0.75", d)
	}
	if _, err := tr.Diagnose("q", src); err == nil {
		t.Error("unknown point accepted")
	}
}

func TestHistogramPNG(t *testing.T) {
	tr := transport.New()
	tr.Set("p", &transport.Map{W: []float32{1, 2}, B: []float32{1, 0}})
	var src, dst [][]float32
	for i := range 50 {
		src = append(src, []float32{float32(i % 7), float32(i % 5)})
		dst = append(dst, []float32{float32(i%7) + 1, float32(i%5) * 2})
	}
	path := filepath.Join(t.TempDir(), "h.png")
	if err := tr.HistogramPNG(path, "p", 1, src, dst); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("not a PNG: %v", err)
	}
	if err := tr.HistogramPNG(path, "p", 2, src, dst); err == nil || !strings.Contains(err.Error(), "unit 2 out of range") {
		t.Errorf("unit out of range: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only h.png (no temp files)", len(entries))
	}
}

func TestString(t *testing.T) {
	tr := additiveTransport("model.layers.1", "model.layers.2")
	s := tr.String()
	for _, want := range []string{"transport mean_ot on tiny-llama: 2 point(s)", "support q_all", "out = z + λ·b", "model.layers.1: 4 units, mean|w−1| 0, mean|b| 0.6253"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "model.layers.1") > strings.Index(s, "model.layers.2") {
		t.Error("points not in module order")
	}
}

func TestApplyKnotsAndLast(t *testing.T) {
	m := &transport.Map{W: []float32{1}, B: []float32{0}, Knots: &transport.Knots{X: [][]float32{{0, 1, 2}}, Y: [][]float32{{0, 10, 11}}}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	tr := transport.New()
	tr.Set("p", m)
	z := [][]float32{{0.5}, {1.5}, {3}, {-1}}
	got, err := tr.Apply("p", z, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	// Exact in float32: interpolation 5, 10.5; slope-1 tails 12 and −1.
	want := []float32{5, 10.5, 12, -1}
	for i := range want {
		if got[i][0] != want[i] {
			t.Errorf("T(%g) = %g, want %g", z[i][0], got[i][0], want[i])
		}
	}
	last, _ := tr.Apply("p", z, 1, true)
	if last[0][0] != 0.5 || last[3][0] != -1 {
		t.Errorf("lastOnly changed an earlier position: %v", last)
	}
	bad := &transport.Map{W: []float32{1}, B: []float32{0}, Knots: &transport.Knots{X: [][]float32{{1, 0}}, Y: [][]float32{{0, 1}}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "non-decreasing") {
		t.Errorf("decreasing knots: %v", err)
	}
}
