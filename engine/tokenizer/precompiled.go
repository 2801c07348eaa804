package tokenizer

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// precompiled is SentencePiece's normalizer as its model stores it, the
// precompiled_charsmap: a darts-clone double-array trie over UTF-8 byte
// sequences whose values are offsets into a blob of NUL-terminated
// replacement strings. The layout is
//
//	uint32 (little-endian) trie size in bytes | trie units (uint32 each) | replacements
//
// A unit packs, from the low bits: an 8-bit label (bit 31 set marks a
// value unit, which then matches no label), a has-leaf flag (bit 8), a
// scale flag (bit 9) and the offset to the children (bits 10 and up,
// shifted left 8 more when the scale flag is set): offset(u) =
// (u >> 10) << ((u & 1<<9) >> 6). The value of a leaf, u & (1<<31 - 1),
// sits in the unit its node's offset points at.
type precompiled struct {
	units        []uint32
	replacements []byte
}

// newPrecompiled parses a base64 precompiled_charsmap.
func newPrecompiled(b64 string) (*precompiled, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("precompiled_charsmap: %w", err)
	}
	return parseCharsmap(b)
}

// parseCharsmap parses the bytes of a precompiled_charsmap.
func parseCharsmap(b []byte) (*precompiled, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("precompiled_charsmap of %d bytes has no trie size", len(b))
	}
	size := binary.LittleEndian.Uint32(b)
	if size == 0 || size%4 != 0 || uint64(size) > uint64(len(b)-4) {
		return nil, fmt.Errorf("precompiled_charsmap: trie size %d does not fit its %d bytes in whole units", size, len(b)-4)
	}
	p := &precompiled{units: make([]uint32, size/4), replacements: b[4+size:]}
	for i := range p.units {
		p.units[i] = binary.LittleEndian.Uint32(b[4+4*i:])
	}
	if !utf8.Valid(p.replacements) {
		return nil, fmt.Errorf("precompiled_charsmap: the replacement strings are not valid UTF-8")
	}
	return p, nil
}

func unitOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// shortest returns the replacement of the shortest key that is a prefix
// of s (a NUL byte ends the search), as spm_precompiled's transform does.
func (p *precompiled) shortest(s string) (string, bool) {
	pos := unitOffset(p.units[0])
	for i := 0; i < len(s) && s[i] != 0; i++ {
		pos ^= uint32(s[i])
		if pos >= uint32(len(p.units)) {
			return "", false
		}
		u := p.units[pos]
		if u&(1<<31|0xFF) != uint32(s[i]) {
			return "", false
		}
		pos ^= unitOffset(u)
		if u>>8&1 == 1 {
			if pos >= uint32(len(p.units)) {
				return "", false
			}
			return p.replacement(p.units[pos] & (1<<31 - 1))
		}
	}
	return "", false
}

// replacement returns the NUL-terminated string at offset at.
func (p *precompiled) replacement(at uint32) (string, bool) {
	if uint64(at) > uint64(len(p.replacements)) {
		return "", false
	}
	r := p.replacements[at:]
	if k := bytes.IndexByte(r, 0); k >= 0 {
		r = r[:k]
	}
	return string(r), true
}

// normalize rewrites s as Hugging Face tokenizers' Precompiled normalizer
// does, which is not quite SentencePiece's longest-match normalizer: s is
// cut into extended grapheme clusters; a cluster shorter than 6 bytes that
// starts with a key becomes the replacement of its shortest such key (the
// rest of the cluster dropped: "Ａ" + U+0301 gives "A"); otherwise each
// character that is a key becomes its replacement, and the others stay.
func (p *precompiled) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	state := -1
	for s != "" {
		var g string
		g, s, _, state = uniseg.FirstGraphemeClusterInString(s, state)
		if len(g) < 6 {
			if r, ok := p.shortest(g); ok {
				b.WriteString(r)
				continue
			}
		}
		for i, c := range g {
			part := g[i : i+utf8.RuneLen(c)]
			if r, ok := p.shortest(part); ok {
				b.WriteString(r)
			} else {
				b.WriteString(part)
			}
		}
	}
	return b.String()
}
