package unet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSDXLLayout builds the layout of SDXL base 1.0's UNet config
// (testdata/sdxl_config.json, as published with
// stabilityai/stable-diffusion-xl-base-1.0 and reused by SDXL-Lightning)
// without weights: its checkpoint has 1680 tensors holding 2,567,463,684
// parameters, every attention has heads of 64, and the up blocks read the
// down blocks' settings reversed (10 transformer layers in up_blocks.0).
func TestSDXLLayout(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "sdxl_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.TextEmbedsDim() != 1280 || c.TimeEmbeddingDim != 1280 || c.Scale() != 4 {
		t.Errorf("text embeds %d, time embedding %d, scale %d; want 1280, 1280, 4", c.TextEmbedsDim(), c.TimeEmbeddingDim, c.Scale())
	}
	l := newLayout(c)
	ps := l.params(c)
	n := 0
	for _, p := range ps {
		k := 1
		for _, d := range p.shape {
			k *= d
		}
		n += k
	}
	if len(ps) != 1680 || n != 2567463684 {
		t.Errorf("%d tensors, %d parameters; want 1680, 2567463684", len(ps), n)
	}
	for _, blk := range append(append(append([]blockL(nil), l.down...), l.mid), l.up...) {
		for _, a := range blk.attns {
			if a.ch/a.heads != 64 {
				t.Errorf("%s: %d heads of %d, want heads of 64", a.name, a.heads, a.ch/a.heads)
			}
		}
	}
	if a := l.up[0].attns[0]; a.layers != 10 || a.ch != 1280 {
		t.Errorf("%s: %d layers of %d channels, want 10 of 1280", a.name, a.layers, a.ch)
	}
	if r := l.up[0].resnets[2]; r.in != 1280+640 || r.out != 1280 {
		t.Errorf("%s: %d → %d, want 1920 → 1280", r.name, r.in, r.out)
	}

	// Points: unique, in ml-act's order (start, down, mid, up, end).
	pts := l.points(c)
	seen := map[string]bool{}
	part := func(name string) int {
		for i, p := range []string{"down_blocks", "mid_block", "up_blocks"} {
			if strings.HasPrefix(name, p) {
				return i + 1
			}
		}
		if name == "conv_norm_out" {
			return 4
		}
		return 0
	}
	last := 0
	for _, p := range pts {
		if seen[p.name] {
			t.Errorf("point %s twice", p.name)
		}
		seen[p.name] = true
		if k := part(p.name); k < last {
			t.Errorf("point %s after a later part of the UNet", p.name)
		} else {
			last = k
		}
	}
}
