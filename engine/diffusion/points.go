package diffusion

import (
	"fmt"
	"image"
	"regexp"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/vae"
)

// canonicalPoint maps ml-act's "module:0" of a module that returns one
// tensor to the point's own name; other names are returned as they are.
func canonicalPoint(width map[string]int, name string) string {
	if _, ok := width[name]; ok {
		return name
	}
	if base, ok := strings.CutSuffix(name, ":0"); ok && !strings.Contains(base[strings.LastIndex(base, ".")+1:], ":") {
		if _, ok := width[base]; ok {
			return base
		}
	}
	return name
}

// matchPoints is MatchPoints over a point list.
func matchPoints(name string, points []engine.Point, pattern string) ([]string, error) {
	return matchPointsAlias(name, points, pattern, "")
}

// matchPointsAlias is matchPoints where a point without a tuple element
// also matches as name+alias (ml-act's "module:0" of a module that returns
// one tensor).
func matchPointsAlias(name string, points []engine.Point, pattern, alias string) ([]string, error) {
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return nil, fmt.Errorf("diffusion: point pattern %q: %w", pattern, err)
	}
	var out []string
	for _, pt := range points {
		local := pt.Name[strings.LastIndex(pt.Name, ".")+1:]
		if re.MatchString(pt.Name) || (alias != "" && !strings.Contains(local, ":") && re.MatchString(pt.Name+alias)) {
			out = append(out, pt.Name)
		}
	}
	if len(out) == 0 {
		ex := []string{}
		for _, pt := range points {
			if len(ex) < 3 && strings.Count(pt.Name, ".") >= 2 {
				ex = append(ex, pt.Name)
			}
		}
		return nil, fmt.Errorf("diffusion: no point of %s matches %q (points look like %s)", name, pattern, strings.Join(ex, ", "))
	}
	return out, nil
}

// splitPoints divides a pipeline-level steering or capture among
// components by prefix (the longest matching prefix wins); an unknown
// point is an error naming the nearest.
func splitPoints(name string, width map[string]int, points []engine.Point, prefixes []string, s *engine.Steering, capture []string) (steer [3]*engine.Steering, capt [3][]string, err error) {
	comp := func(pt string) (int, string, error) {
		pt = canonicalPoint(width, pt)
		if _, ok := width[pt]; !ok {
			return 0, "", fmt.Errorf("diffusion: %s has no point %q%s", name, pt, nearest(points, pt))
		}
		best, bl := -1, -1
		for k, pre := range prefixes {
			if strings.HasPrefix(pt, pre) && len(pre) > bl {
				best, bl = k, len(pre)
			}
		}
		return best, strings.TrimPrefix(pt, prefixes[best]), nil
	}
	if s != nil {
		if s.LastOnly {
			return steer, capt, fmt.Errorf("diffusion: steering at the last token only has no meaning in an image pipeline")
		}
		for pt, m := range s.Maps {
			k, local, err := comp(pt)
			if err != nil {
				return steer, capt, err
			}
			if steer[k] == nil {
				steer[k] = &engine.Steering{Maps: map[string]*transport.Map{}, Strength: s.Strength}
			}
			steer[k].Maps[local] = m
		}
	}
	for _, pt := range capture {
		k, local, err := comp(pt)
		if err != nil {
			return steer, capt, err
		}
		capt[k] = append(capt[k], local)
	}
	return steer, capt, nil
}

// nearest suggests the point closest to name, when it is close.
func nearest(points []engine.Point, name string) string {
	names := make([]string, len(points))
	for i, pt := range points {
		names[i] = pt.Name
	}
	best := engine.Nearest(name, names)
	if best == "" || engine.EditDistance(name, best) > len(name)/2+2 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// decodeLatents turns latents into images, in tiles when asked or when
// the latents are larger than the VAE's own tile.
func decodeLatents(v *vae.Model, lat *tensors.Tensor, tiled bool) ([]*image.NRGBA, error) {
	d := lat.Shape().Dimensions
	tile := v.Config().SampleSize / v.Config().Scale()
	var img *tensors.Tensor
	var err error
	if tiled || d[2] > tile || d[3] > tile {
		img, err = v.DecodeTiled(lat, vae.Tiling{})
	} else {
		img, err = v.Decode(lat)
	}
	if err != nil {
		return nil, fmt.Errorf("diffusion: decode: %w", err)
	}
	return vae.Images(img)
}

// listPoints names every point of a pipeline: each text encoder's under
// its prefix, then the denoiser's under its own. It returns them in that
// order with the widths by name.
func listPoints(encoders []*engine.Model, encPrefixes []string, denoiser []engine.Point, denPrefix string) ([]engine.Point, map[string]int) {
	var pts []engine.Point
	for k, prefix := range encPrefixes {
		for _, n := range encoders[k].Points() {
			pts = append(pts, engine.Point{Name: prefix + n, Width: encoders[k].PointWidth(n)})
		}
	}
	for _, pt := range denoiser {
		pts = append(pts, engine.Point{Name: denPrefix + pt.Name, Width: pt.Width})
	}
	width := make(map[string]int, len(pts))
	for _, pt := range pts {
		width[pt.Name] = pt.Width
	}
	return pts, width
}

// imageSize resolves an image size (0: def) and checks that both sides are
// positive multiples of m.
func imageSize(o Options, def, m int) (w, h int, err error) {
	w, h = o.Width, o.Height
	if w == 0 {
		w = def
	}
	if h == 0 {
		h = def
	}
	if w <= 0 || h <= 0 || w%m != 0 || h%m != 0 {
		return 0, 0, fmt.Errorf("diffusion: image size %d×%d: want positive multiples of %d", w, h, m)
	}
	return w, h, nil
}

// addPooled pools a text encoder's captures ([point][prompt][slot][unit])
// over every slot and stores them in out under prefix + point.
func addPooled(out map[string][][]float32, prefix string, captured map[string][][][]float32, pool string) {
	for name, per := range captured {
		rows := make([][]float32, len(per))
		for i, slots := range per {
			rows[i] = engine.Pool(pool, slots)
		}
		out[prefix+name] = rows
	}
}

// addRows splits a denoiser's pooled captures ([B, units] tensors) into
// one row per prompt and stores them in out under prefix + point.
func addRows(out map[string][][]float32, prefix string, captured map[string]*tensors.Tensor, B int) {
	for name, t := range captured {
		flat := tensors.MustCopyFlatData[float32](t)
		U := len(flat) / B
		rows := make([][]float32, B)
		for i := range B {
			rows[i] = append([]float32(nil), flat[i*U:(i+1)*U]...)
		}
		out[prefix+name] = rows
	}
}
