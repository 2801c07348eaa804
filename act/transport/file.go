package transport

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/actsh/actsh/engine/safetensors"
)

// Format is the value of the "format" key in a saved transport's header.
const Format = "actsh-transport"

// Version is the file format version Save writes and Load accepts (or
// older).
const Version = 1

// Save writes the transport to one .safetensors file, atomically. Per point
// p (in Points order) it holds F32 tensors p.w, p.b [units], p.lo and p.hi
// [units] when bounded, and p.knots_x, p.knots_y [units, knots] for
// piecewise-linear maps. The header's __metadata__ holds format
// ("actsh-transport"), version, method, model, family, architecture,
// points (a JSON list in module order), pooling, support, dataset,
// source, target, position, lambda (a sentence saying what the strength λ
// does) and checksum (a SHA-256 of the maps' values, see [Load]).
func (t *Transport) Save(path string) error {
	points := t.PointNames()
	if len(points) == 0 {
		return fmt.Errorf("transport: save %s: no maps", path)
	}
	var tensors []safetensors.Tensor
	for _, p := range points {
		m := t.Maps[p]
		if err := m.Validate(); err != nil {
			return fmt.Errorf("transport: save %s: point %s: %s", path, p, strings.TrimPrefix(err.Error(), "transport: "))
		}
		n := m.Units()
		tensors = append(tensors, safetensors.F32(p+".w", []int{n}, m.W), safetensors.F32(p+".b", []int{n}, m.B))
		if m.Lo != nil {
			tensors = append(tensors, safetensors.F32(p+".lo", []int{n}, m.Lo))
		}
		if m.Hi != nil {
			tensors = append(tensors, safetensors.F32(p+".hi", []int{n}, m.Hi))
		}
		if k := m.Knots; k != nil {
			nk := len(k.X[0])
			tensors = append(tensors,
				safetensors.F32(p+".knots_x", []int{n, nk}, slices.Concat(k.X...)),
				safetensors.F32(p+".knots_y", []int{n, nk}, slices.Concat(k.Y...)))
		}
	}
	pj, err := json.Marshal(points)
	if err != nil {
		return fmt.Errorf("transport: save %s: %w", path, err)
	}
	meta := map[string]string{
		"format":       Format,
		"version":      strconv.Itoa(Version),
		"method":       t.Meta.Method,
		"model":        t.Meta.Model,
		"family":       t.Meta.Family,
		"architecture": t.Meta.Architecture,
		"points":       string(pj),
		"pooling":      t.Meta.Pooling,
		"support":      t.Meta.Support,
		"dataset":      t.Meta.Dataset,
		"source":       t.Meta.Source,
		"target":       t.Meta.Target,
		"position":     t.Meta.Position,
		"lambda":       Semantics(t.Meta.Method),
		"checksum":     checksum(points, t.Maps),
	}
	if err := safetensors.Write(path, tensors, meta); err != nil {
		return fmt.Errorf("transport: save %s: %w", path, err)
	}
	return nil
}

// Load reads a transport saved by [Transport.Save], checking the format and
// version, that every listed point has w and b of one length, that lo, hi
// and knots (when present) agree with it, that the file holds no tensor
// outside the listed points, and that the values match the header's
// checksum (files without one, written before it was recorded, are
// accepted).
func Load(path string) (*Transport, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("transport: load: %w", err)
	}
	defer f.Close()
	md := f.Metadata()
	if md["format"] != Format {
		return nil, fmt.Errorf("transport: load %s: format %q, want %q (not a transport file)", path, md["format"], Format)
	}
	v, err := strconv.Atoi(md["version"])
	if err != nil || v < 1 {
		return nil, fmt.Errorf("transport: load %s: version %q is not a positive integer", path, md["version"])
	}
	if v > Version {
		return nil, fmt.Errorf("transport: load %s: version %d is newer than this actsh reads (%d)", path, v, Version)
	}
	var points []string
	if err := json.Unmarshal([]byte(md["points"]), &points); err != nil {
		return nil, fmt.Errorf("transport: load %s: points %q: %w", path, md["points"], err)
	}
	if len(points) == 0 {
		return nil, fmt.Errorf("transport: load %s: no points listed", path)
	}
	t := New()
	t.Meta = Meta{
		Method: md["method"], Model: md["model"], Family: md["family"], Architecture: md["architecture"], Pooling: md["pooling"], Support: md["support"],
		Dataset: md["dataset"], Source: md["source"], Target: md["target"], Position: md["position"],
	}
	switch t.Meta.Position {
	case "", "all", "last":
	default:
		return nil, fmt.Errorf("transport: load %s: position %q, want \"all\" or \"last\"", path, t.Meta.Position)
	}
	used := map[string]bool{}
	vec := func(p, suffix string, n int, optional bool) ([]float32, error) {
		name := p + "." + suffix
		if _, ok := f.Info(name); !ok {
			if optional {
				return nil, nil
			}
			return nil, fmt.Errorf("point %s: tensor %s is missing", p, name)
		}
		used[name] = true
		x, shape, err := f.Float32(name)
		if err != nil {
			return nil, err
		}
		if len(shape) != 1 || (n >= 0 && shape[0] != n) {
			return nil, fmt.Errorf("point %s: tensor %s has shape %v, want [%d]", p, name, shape, n)
		}
		return x, nil
	}
	for _, p := range points {
		if _, dup := t.Maps[p]; dup {
			return nil, fmt.Errorf("transport: load %s: point %s listed twice", path, p)
		}
		m := &Map{}
		var err error
		if m.W, err = vec(p, "w", -1, false); err != nil {
			return nil, fmt.Errorf("transport: load %s: %w", path, err)
		}
		n := len(m.W)
		if m.B, err = vec(p, "b", n, false); err != nil {
			return nil, fmt.Errorf("transport: load %s: %w", path, err)
		}
		if m.Lo, err = vec(p, "lo", n, true); err != nil {
			return nil, fmt.Errorf("transport: load %s: %w", path, err)
		}
		if m.Hi, err = vec(p, "hi", n, true); err != nil {
			return nil, fmt.Errorf("transport: load %s: %w", path, err)
		}
		if m.Knots, err = knots(f, p, n, used); err != nil {
			return nil, fmt.Errorf("transport: load %s: %w", path, err)
		}
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("transport: load %s: point %s: %s", path, p, strings.TrimPrefix(err.Error(), "transport: "))
		}
		t.Set(p, m)
	}
	for _, name := range f.Names() {
		if !used[name] {
			return nil, fmt.Errorf("transport: load %s: tensor %s belongs to no listed point (points %s)", path, name, strings.Join(points, ", "))
		}
	}
	if want := md["checksum"]; want != "" {
		if got := checksum(points, t.Maps); got != want {
			return nil, fmt.Errorf("transport: load %s: checksum %s, the header says %s: the maps' values were changed or damaged after saving", path, got, want)
		}
	}
	return t, nil
}

// checksum returns "sha256:" and the hex SHA-256 of the maps' values, in a
// form independent of the file's layout: per point in order, per tensor
// (w, b, lo, hi, knots_x, knots_y when present), its name, its length and
// its float32 values as little-endian bits.
func checksum(points []string, maps map[string]*Map) string {
	h := sha256.New()
	var buf [8]byte
	put := func(name string, v []float32) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(name)))
		h.Write(buf[:])
		h.Write([]byte(name))
		binary.LittleEndian.PutUint64(buf[:], uint64(len(v)))
		h.Write(buf[:])
		for _, x := range v {
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(x))
			h.Write(buf[:4])
		}
	}
	for _, p := range points {
		m := maps[p]
		put(p+".w", m.W)
		put(p+".b", m.B)
		if m.Lo != nil {
			put(p+".lo", m.Lo)
		}
		if m.Hi != nil {
			put(p+".hi", m.Hi)
		}
		if k := m.Knots; k != nil {
			put(p+".knots_x", slices.Concat(k.X...))
			put(p+".knots_y", slices.Concat(k.Y...))
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// knots reads a point's optional knot tensors.
func knots(f *safetensors.File, p string, n int, used map[string]bool) (*Knots, error) {
	_, okx := f.Info(p + ".knots_x")
	_, oky := f.Info(p + ".knots_y")
	if !okx && !oky {
		return nil, nil
	}
	if okx != oky {
		return nil, fmt.Errorf("point %s: knots_x and knots_y must both be present", p)
	}
	k := &Knots{}
	for _, side := range []struct {
		suffix string
		dst    *[][]float32
	}{{"knots_x", &k.X}, {"knots_y", &k.Y}} {
		name := p + "." + side.suffix
		used[name] = true
		x, shape, err := f.Float32(name)
		if err != nil {
			return nil, err
		}
		if len(shape) != 2 || shape[0] != n || shape[1] < 2 {
			return nil, fmt.Errorf("point %s: tensor %s has shape %v, want [%d, ≥2]", p, name, shape, n)
		}
		rows := make([][]float32, n)
		for j := range n {
			rows[j] = x[j*shape[1] : (j+1)*shape[1]]
		}
		*side.dst = rows
	}
	if len(k.X[0]) != len(k.Y[0]) {
		return nil, fmt.Errorf("point %s: %d x knots and %d y knots per unit", p, len(k.X[0]), len(k.Y[0]))
	}
	return k, nil
}
