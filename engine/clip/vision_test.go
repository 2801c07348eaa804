package clip_test

import (
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/internal/fixture"
)

// visionSet is one fixture folder holding a CLIP vision checkpoint: its
// folder, meta.json's float32 tolerances and expected.safetensors
// (pixel_values and the outputs).
type visionSet struct {
	*fixtureSet
	checkpoint string
}

// visionSets finds every folder under testdata/reference/encoders with a
// checkpoint subfolder whose config.json names a CLIP vision
// architecture.
func visionSets(t *testing.T) []visionSet {
	t.Helper()
	configs, err := filepath.Glob(fixture.Reference(t, "encoders", "*", "*", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []visionSet
	for _, cfg := range configs {
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Architectures []string `json:"architectures"`
		}
		if json.Unmarshal(b, &head) != nil || len(head.Architectures) == 0 ||
			!slices.Contains([]string{clip.VisionModel, clip.VisionModelWithProjection, clip.FullModel}, head.Architectures[0]) {
			continue
		}
		dir := filepath.Dir(filepath.Dir(cfg))
		e, atol, rtol := enginetest.Expected(t, dir)
		out = append(out, visionSet{&fixtureSet{dir: dir, atol: atol, rtol: rtol, e: e}, filepath.Dir(cfg)})
	}
	if len(out) == 0 {
		t.Fatalf("no CLIP vision fixture under %s", fixture.Reference(t, "encoders"))
	}
	return out
}

// TestConformanceCLIPVision runs each vision fixture's pixel_values
// through clip.LoadVision and Vision.Forward and compares every output
// expected.safetensors holds with meta.json's float32 tolerances
// (|got − want| ≤ atol + rtol·|want|; the reference's own float32 and
// float64 runs differ by about 2e-6): last_hidden_state,
// penultimate_hidden_state, each hidden_states.k, pooler_output and
// image_embeds. A tensor the test does not know fails it, so that a
// fixture with more outputs is not half checked.
func TestConformanceCLIPVision(t *testing.T) {
	for _, s := range visionSets(t) {
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			v, err := clip.LoadVision(s.checkpoint)
			if err != nil {
				t.Fatal(err)
			}
			px, shape, err := s.e.Float32("pixel_values")
			if err != nil {
				t.Fatal(err)
			}
			out, err := v.Forward(tensors.FromFlatDataAndDimensions(px, shape...), clip.VisionOptions{HiddenStates: true})
			if err != nil {
				t.Fatal(err)
			}
			names := s.e.Names()
			slices.Sort(names)
			for _, n := range names {
				switch k, isHidden := strings.CutPrefix(n, "hidden_states."); {
				case n == "pixel_values":
				case n == "last_hidden_state":
					s.check(t, n, flat3(out.LastHiddenState))
				case n == "penultimate_hidden_state":
					s.check(t, n, flat3(out.Penultimate))
				case n == "pooler_output":
					s.check(t, n, flat2(out.Pooled))
				case n == "image_embeds":
					if out.ImageEmbeds == nil {
						t.Errorf("%s: the fixture has image_embeds, the model (%s) has no projection", n, v.Architecture())
						continue
					}
					s.check(t, n, flat2(out.ImageEmbeds))
				case isHidden:
					i, err := strconv.Atoi(k)
					if err != nil || i < 0 || i >= len(out.HiddenStates) {
						t.Errorf("%s: the model has hidden_states 0 … %d", n, len(out.HiddenStates)-1)
						continue
					}
					s.check(t, n, flat3(out.HiddenStates[i]))
				default:
					t.Errorf("%s: unknown expected tensor", n)
				}
			}
		})
	}
}

// TestPreprocessPIL compares Preprocess with transformers'
// CLIPImageProcessor steps on PIL (testdata/preprocess/make.py, Pillow
// 9.4): the resized bytes must be equal (the resampling is PIL's own
// fixed-point arithmetic, so there is no tolerance to give), and so must
// pixel_values (the same float32 operations in the same order).
func TestPreprocessPIL(t *testing.T) {
	e, err := enginetest.Open(filepath.Join("testdata", "preprocess", "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, name := range []string{"down", "up", "wide", "cropOnly"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "preprocess", name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			want, shape, err := e.Ints(name + ".resized") // [h, w, 3]
			if err != nil {
				t.Fatal(err)
			}
			if w, h := clip.ShortestEdge(img.Bounds().Dx(), img.Bounds().Dy(), 32); w != shape[1] || h != shape[0] {
				t.Fatalf("ShortestEdge: %d×%d, PIL resized to %d×%d", w, h, shape[1], shape[0])
			}
			got := clip.ResizeBicubicForTest(img, shape[1], shape[0])
			if len(got) != len(want) {
				t.Fatalf("resize: %d bytes, want %d", len(got), len(want))
			}
			diff := 0
			for i := range want {
				if int(got[i]) != want[i] {
					diff++
				}
			}
			if diff > 0 {
				t.Errorf("resize to %v: %d of %d bytes differ from PIL's", shape, diff, len(want))
			}
			px, err := clip.Preprocess([]image.Image{img}, 32)
			if err != nil {
				t.Fatal(err)
			}
			wantPx, _, err := e.Float32(name + ".pixel_values")
			if err != nil {
				t.Fatal(err)
			}
			gotPx := tensors.MustCopyFlatData[float32](px)
			for i := range wantPx {
				if gotPx[i] != wantPx[i] {
					t.Fatalf("pixel_values[%d] = %g, want %g", i, gotPx[i], wantPx[i])
				}
			}
		})
	}
}

// TestParseVisionConfig checks which configs the vision tower reads and
// that a refusal names the values involved.
func TestParseVisionConfig(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		arch         string
		projected    bool
		projection   int
		err          string
	}{
		{name: "vision", config: `{"architectures":["CLIPVisionModel"],"hidden_size":64,"num_attention_heads":4}`, arch: clip.VisionModel, projection: 512},
		{name: "projected", config: `{"architectures":["CLIPVisionModelWithProjection"],"projection_dim":24}`, arch: clip.VisionModelWithProjection, projected: true, projection: 24},
		{name: "full model", config: `{"architectures":["CLIPModel"],"projection_dim":768,"text_config":{},"vision_config":{"projection_dim":512,"patch_size":14}}`, arch: clip.FullModel, projected: true, projection: 768},
		{name: "no architectures", config: `{"vision_config":{}}`, arch: clip.FullModel, projected: true, projection: 512},
		{name: "text model", config: `{"architectures":["CLIPTextModel"]}`, err: `architecture "CLIPTextModel" is not a CLIP vision model`},
		{name: "patch", config: `{"image_size":224,"patch_size":15}`, err: "image_size (224) must be divisible by patch_size (15)"},
		{name: "heads", config: `{"hidden_size":100,"num_attention_heads":12}`, err: "hidden_size (100) must be divisible by num_attention_heads (12)"},
		{name: "act", config: `{"hidden_act":"relu"}`, err: `hidden_act "relu" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, arch, projected, err := clip.ParseVisionConfig([]byte(tc.config))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if arch != tc.arch || projected != tc.projected || c.ProjectionDim != tc.projection {
				t.Errorf("got %s projected=%v projection_dim %d, want %s %v %d", arch, projected, c.ProjectionDim, tc.arch, tc.projected, tc.projection)
			}
		})
	}
}

// TestVisionEmbed checks Embed against Preprocess then Forward on the
// fixture checkpoint (the same graph, so equal values), and that a
// missing projection fails naming the weight.
func TestVisionEmbed(t *testing.T) {
	dir := fixture.Reference(t, "encoders", "clip_vision", "checkpoint")
	v, err := clip.LoadVision(dir)
	if err != nil {
		t.Fatal(err)
	}
	var imgs []image.Image
	for _, name := range []string{"down", "up"} {
		f, err := os.Open(filepath.Join("testdata", "preprocess", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	got, err := v.Embed(imgs)
	if err != nil {
		t.Fatal(err)
	}
	px, err := clip.Preprocess(imgs, v.Config().ImageSize)
	if err != nil {
		t.Fatal(err)
	}
	out, err := v.Forward(px, clip.VisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0]) != v.Config().ProjectionDim || !slices.Equal(got[1], out.ImageEmbeds[1]) {
		t.Errorf("Embed = %d×%d, differs from Forward's image_embeds", len(got), len(got[0]))
	}
	if _, err := v.Forward(tensors.FromFlatDataAndDimensions(make([]float32, 3*16*16), 1, 3, 16, 16), clip.VisionOptions{}); err == nil ||
		!strings.Contains(err.Error(), "[B, 3, 32, 32]") {
		t.Errorf("16-pixel image: err = %v, want the expected shape named", err)
	}

	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = clip.NewVision(cfg, without{w, "visual_projection.weight"})
	if err == nil || !strings.Contains(err.Error(), "visual_projection.weight") {
		t.Errorf("no projection: err = %v, want it named", err)
	}
}

// without hides one weight of a store.
type without struct {
	engine.Weights
	hide string
}

func (w without) Names() []string {
	return slices.DeleteFunc(w.Weights.Names(), func(n string) bool { return n == w.hide })
}

func (w without) Float32(name string) ([]float32, []int, error) {
	if name == w.hide {
		return nil, nil, os.ErrNotExist
	}
	return w.Weights.Float32(name)
}
