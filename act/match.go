package act

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
)

// fittedOn identifies the model a transport's maps were fitted on.
type fittedOn struct {
	name, family, arch string
}

// modelOf returns the identity of m that fitted transports record.
func modelOf(m *engine.Model) fittedOn {
	i := m.Info()
	return fittedOn{name: modelID(m), family: i.Family, arch: i.Architecture}
}

// modelID names a model for matching transports to it, independently of
// how it was named to Load: "tiny" for the embedded model, the Hugging
// Face id (without revision) for a model in the hub cache, whether loaded
// by id or by its snapshot folder, and otherwise the absolute folder.
func modelID(m *engine.Model) string {
	dir := m.Dir()
	if dir == "" {
		return m.Name()
	}
	if id := hubID(dir); id != "" {
		return id
	}
	return dir
}

// hubID returns "org/name" for a snapshot folder of the Hugging Face
// cache, …/models--org--name/snapshots/<commit>, and "" for other folders.
func hubID(dir string) string {
	snaps := filepath.Dir(filepath.Clean(dir))
	repo := filepath.Base(filepath.Dir(snaps))
	if filepath.Base(snaps) != "snapshots" || !strings.HasPrefix(repo, "models--") || repo == "models--" {
		return ""
	}
	return strings.ReplaceAll(strings.TrimPrefix(repo, "models--"), "--", "/")
}

// ForModel returns t as applicable to m although it was fitted on another
// model, for moving maps between fine-tunes of one base. Points and widths
// must still match m: ForModel checks them now. The result shares t's maps
// and metadata; saving it still records the model t was fitted on.
func (t *Transport) ForModel(m *Model) *Transport {
	r := t.must()
	if m == nil || m.m == nil {
		fail("ForModel: model is nil")
	}
	v := &Transport{t: r, forModel: modelID(m.m)}
	v.checkFits(m)
	return v
}

// AllowAnyModel returns t as applicable to every model whose points and
// widths match its maps, whatever model it was fitted on. The result
// shares t's maps and metadata.
func (t *Transport) AllowAnyModel() *Transport {
	return &Transport{t: t.must(), anyModel: true}
}

// Model returns the model the transport was fitted on: "tiny", a Hugging
// Face id or an absolute folder; "" when none is recorded (built by hand
// with [NewTransport], or fitted on [ResponsesOf]).
func (t *Transport) Model() string { return t.must().Meta.Model }

// checkFits fails unless t can steer m. Every point of t must be a point of
// m with as many units as its map; a transport that records its model
// must also have been fitted on m (same name and family; for files
// written before the family was recorded, the name m was loaded by also
// counts), unless
// [Transport.ForModel] or [Transport.AllowAnyModel] said otherwise.
// Transports without a recorded model get the width check only (the
// engine names unknown points).
func (t *Transport) checkFits(m *Model) {
	t.checkFitsTarget(modelOf(m.m), m.m.PointWidth, m.m.Name())
}

// checkFitsTarget is checkFits for any steerable target: its identity, its
// point widths (0 for an unknown point) and the name it was loaded by.
func (t *Transport) checkFitsTarget(have fittedOn, width func(string) int, loadedAs string) {
	r := t.must()
	meta := r.Meta
	for _, p := range r.PointNames() {
		n, w := r.Maps[p].Units(), width(p)
		if n == w || (meta.Model == "" && w == 0) {
			continue
		}
		theirs := fmt.Sprintf("%s: %d units", p, w)
		if w == 0 {
			theirs = "no point " + p
		}
		fail("%s does not match model %q (%s, %s)", describe(meta, fmt.Sprintf("%s: %d units", p, n)), have.name, have.family, theirs)
	}
	if meta.Model == "" || t.anyModel || t.forModel == have.name {
		return
	}
	if meta.Model == have.name && (meta.Family == "" || meta.Family == have.family) {
		return
	}
	if meta.Family == "" && meta.Model == loadedAs {
		return // written before identities were recorded: the name as loaded
	}
	fail("%s does not match model %q (%s): points and widths agree, but the maps were fitted on another model; use the transport's ForModel(model) or AllowAnyModel() to apply it anyway",
		describe(meta, ""), have.name, have.family)
}

// describe names a transport's origin for mismatch errors, with detail
// (a point and its width) in the parentheses.
func describe(meta transport.Meta, detail string) string {
	var parts []string
	if meta.Family != "" {
		parts = append(parts, meta.Family)
	}
	if detail != "" {
		parts = append(parts, detail)
	}
	paren := ""
	if len(parts) > 0 {
		paren = " (" + strings.Join(parts, ", ") + ")"
	}
	if meta.Model == "" {
		return "transport with no recorded model" + paren
	}
	return fmt.Sprintf("transport fitted on %q%s", meta.Model, paren)
}
