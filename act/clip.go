package act

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"path/filepath"
	"strings"

	"github.com/actsh/actsh/engine"
	eclip "github.com/actsh/actsh/engine/clip" // act has a clip(string) helper
	"github.com/actsh/actsh/engine/hub"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/tiny"
)

// This file holds the CLIP judge of the text-to-image experiments: the
// scores of ml-act's act/evaluations/calculate_clip_score.py (its
// DirectionalSimilarity), which judge steered images by their CLIP
// embeddings.

// DefaultCLIP is the judge ml-act loads: a whole CLIPModel, ViT-L/14.
const DefaultCLIP = "openai/clip-vit-large-patch14"

// CLIP is a loaded CLIP model judging images: its text tower and
// text_projection (a CLIPTextModelWithProjection on the engine), its
// vision tower and visual_projection, and its tokenizer.
type CLIP struct {
	text   *engine.Model
	vision *eclip.Vision
	tok    *tokenizer.Tokenizer
	name   string
}

// LoadCLIP loads a whole CLIPModel checkpoint (config.json with
// text_config and vision_config, safetensors weights, tokenizer.json or
// vocab.json and merges.txt) by name, a folder or a Hugging Face id,
// resolved as [Load] does: openai/clip-vit-large-patch14 ([DefaultCLIP])
// is ml-act's judge. It panics with one line when the checkpoint is
// missing (offline, the id not in the cache), incomplete or not a
// CLIPModel (a CLIPVisionModel or CLIPTextModel folder holds one tower
// only).
func LoadCLIP(name string) *CLIP {
	if name == tiny.Name {
		fail("LoadCLIP(%q): the embedded model is a language model, not CLIP; use a CLIPModel checkpoint such as %s", name, DefaultCLIP)
	}
	dir, err := hub.Resolve(Context(), name, hub.Options{})
	if err != nil {
		fail("LoadCLIP(%q): %w", name, err)
	}
	arch, err := configArchitecture(dir)
	if err != nil {
		fail("LoadCLIP(%q): %w", name, err)
	}
	if arch != eclip.FullModel {
		fail("LoadCLIP(%q): %s names %s, not %s: the judge needs both towers and their projections (a whole checkpoint such as %s)",
			name, filepath.Join(dir, "config.json"), arch, eclip.FullModel, DefaultCLIP)
	}
	m, err := engine.Load(Context(), dir, engine.LoadOptions{})
	if err != nil {
		if onlyPickleWeights(dir) {
			fail("LoadCLIP(%q): %s holds pytorch_model.bin but no safetensors weights; actsh reads safetensors only: convert the checkpoint (transformers: from_pretrained then save_pretrained(dir, safe_serialization=True))", name, dir)
		}
		fail("LoadCLIP(%q): %w", name, err)
	}
	c := &CLIP{text: m, tok: m.Tokenizer(), name: name}
	if c.tok == nil {
		tok, err := tokenizer.LoadVocabMerges(dir)
		switch {
		case err == nil:
			c.tok = tok
		case errors.Is(err, fs.ErrNotExist):
			fail("LoadCLIP(%q): %s has no tokenizer.json (nor vocab.json and merges.txt)", name, dir)
		default:
			fail("LoadCLIP(%q): %w", name, err)
		}
	}
	if c.vision, err = eclip.LoadVision(dir); err != nil {
		fail("LoadCLIP(%q): %w", name, err)
	}
	return c
}

// String summarises the judge: name, towers, embedding width and backend.
func (c *CLIP) String() string {
	if c == nil || c.text == nil {
		return "act.CLIP(nil)"
	}
	i, v := c.text.Info(), c.vision.Config()
	return fmt.Sprintf("CLIP %s: text %d layers × %d (up to %d tokens), vision %d layers × %d (%d px, patch %d), embeddings %d, backend %s",
		c.name, i.NumLayers, i.HiddenSize, i.MaxPositions, v.NumHiddenLayers, v.HiddenSize, v.ImageSize, v.PatchSize, i.EmbedWidth, c.text.BackendName())
}

// EmbedTexts returns each text's text_embeds divided by its L2 norm, as
// ml-act's encode_text: the text tokenized as its CLIPTokenizer call does
// (padding and truncation to the model's positions, 77, with the
// attention mask; engine/clip's Tokenize), the text tower's pooled output at
// the end-of-text token, text_projection. Options: Batch (default 16).
func (c *CLIP) EmbedTexts(texts []string, opts ...Option) [][]float32 {
	o := collect(opts)
	ids, mask, err := eclip.Tokenize(c.tok, texts, c.text.Info().MaxPositions)
	if err != nil {
		fail("EmbedTexts: %w", err)
	}
	n := batchOr(o.batch, 16)
	out := make([][]float32, 0, len(texts))
	for lo := 0; lo < len(ids); lo += n {
		hi := min(lo+n, len(ids))
		enc, err := eclip.Encode(o.context(), c.text, ids[lo:hi], eclip.EncodeOptions{Mask: mask[lo:hi]})
		if err != nil {
			fail("EmbedTexts: %w", err)
		}
		for _, e := range enc.TextEmbeds {
			out = append(out, unit(e))
		}
	}
	return out
}

// EmbedImages returns each image's image_embeds divided by its L2 norm,
// as ml-act's encode_image: CLIPImageProcessor's preprocessing
// (engine/clip's Preprocess: bicubic resize of the shortest side, centre crop,
// OpenAI's mean and std), the vision tower's pooled output,
// visual_projection. Options: Batch (default 16).
func (c *CLIP) EmbedImages(images []image.Image, opts ...Option) [][]float32 {
	o := collect(opts)
	n := batchOr(o.batch, 16)
	out := make([][]float32, 0, len(images))
	for lo := 0; lo < len(images); lo += n {
		if err := o.context().Err(); err != nil {
			fail("EmbedImages: %w", err)
		}
		emb, err := c.vision.Embed(images[lo:min(lo+n, len(images))])
		if err != nil {
			fail("EmbedImages: %w", err)
		}
		for _, e := range emb {
			out = append(out, unit(e))
		}
	}
	return out
}

// ZeroShot returns, for each image, ml-act's conditional zero-shot score
// of concept: a two-way softmax over the image's cosines with "A picture
// of something." and "A picture of {concept}." (underscores and hyphens of
// concept read as spaces, as ml-act writes its subset names),
//
//	score = exp(cos(img, t₁)) / (exp(cos(img, t₀)) + exp(cos(img, t₁)))
//	      = σ(cos(img, t₁) − cos(img, t₀)).
//
// Unlike CLIP's zero-shot classification, the cosines are not scaled by
// logit_scale (100): as in ml-act, scores stay close to 0.5 and only their
// changes with λ mean something. Options: Batch.
func (c *CLIP) ZeroShot(images []image.Image, concept string, opts ...Option) []float64 {
	t := c.EmbedTexts(zeroShotPrompts(concept), opts...)
	out := make([]float64, len(images))
	for i, e := range c.EmbedImages(images, opts...) {
		out[i] = zeroShotScore(e, t[0], t[1])
	}
	return out
}

// ClipScore returns the cosine similarity of each image with its prompt
// (images[i] with prompts[i]), the score ml-act's files hold
// (conditional_similarity against the prompt an image was made from,
// unconditional_similarity against the prompt without the concept). It
// is the raw cosine in [−1, 1]: torchmetrics' CLIPScore is
// max(100·cos, 0), here 100·max(ClipScore, 0), averaged over the images.
// ml-act's calculate_clip_score.py, from which the paper's image scores
// come, writes the raw cosines. Options: Batch.
func (c *CLIP) ClipScore(images []image.Image, prompts []string, opts ...Option) []float64 {
	if len(images) != len(prompts) {
		fail("ClipScore: %d images but %d prompts; want one prompt per image", len(images), len(prompts))
	}
	t := c.EmbedTexts(prompts, opts...)
	out := make([]float64, len(images))
	for i, e := range c.EmbedImages(images, opts...) {
		out[i] = cosine(e, t[i])
	}
	return out
}

// GoImages returns images as the [image.Image] values the judge's calls
// take: c.ZeroShot(GoImages(row...), "watercolor").
func GoImages(images ...*Image) []image.Image {
	out := make([]image.Image, len(images))
	for i, im := range images {
		out[i] = im.Go()
	}
	return out
}

// CLIPScores are ml-act's scores of one steered image (the columns
// calculate_clip_score.py adds to clip_score.csv), from the L2-normalised
// embeddings of the unsteered image u, the steered image s, the original
// prompt o, the image's conditional prompt p and the zero-shot prompts t₀,
// t₁ (see [CLIP.ZeroShot]). Cosines are torch's cosine_similarity,
// x·y / (max(‖x‖, 1e-8)·max(‖y‖, 1e-8)).
type CLIPScores struct {
	TextSimilarity           float64 // cos(o, p)
	ImageSimilarity          float64 // cos(u, s)
	ConditionalSimilarity    float64 // cos(s, p)
	UnconditionalSimilarity  float64 // cos(s, o)
	DirectionalSimilarity    float64 // cos(s − u, p − o); 0 for s = u and p = o
	ConditionalZeroShotScore float64 // σ(cos(s, t₁) − cos(s, t₀))
}

// clipScoreColumns name CLIPScores' fields as ml-act's CSV does, in order.
var clipScoreColumns = []string{"text_similarity", "image_similarity", "conditional_similarity",
	"unconditional_similarity", "directional_similarity", "conditional_zero_shot_score"}

func (s CLIPScores) values() []float64 {
	return []float64{s.TextSimilarity, s.ImageSimilarity, s.ConditionalSimilarity,
		s.UnconditionalSimilarity, s.DirectionalSimilarity, s.ConditionalZeroShotScore}
}

// Compare computes ml-act's DirectionalSimilarity for one prompt: the
// unsteered image (λ = 0) and its original prompt against each steered
// image and the conditional prompt it goes with (steered[i] with
// conditional[i]; the unsteered image may be among them), condition being
// the concept of the zero-shot score (ml-act passes the source subset
// when the destination is "none", else the destination). Options: Batch.
func (c *CLIP) Compare(unsteered image.Image, steered []image.Image, original string, conditional []string, condition string, opts ...Option) []CLIPScores {
	if len(steered) != len(conditional) {
		fail("Compare: %d steered images but %d conditional prompts; want one prompt per image", len(steered), len(conditional))
	}
	imgs := c.EmbedImages(append([]image.Image{unsteered}, steered...), opts...)
	texts := c.EmbedTexts(append(append([]string{original}, zeroShotPrompts(condition)...), conditional...), opts...)
	out := make([]CLIPScores, len(steered))
	for i := range steered {
		out[i] = compareEmbeddings(imgs[0], imgs[i+1], texts[0], texts[3+i], texts[1], texts[2])
	}
	return out
}

// compareEmbeddings is CLIPScores from the normalised embeddings of the
// unsteered image u, the steered image s, the original prompt o, the
// conditional prompt p and the zero-shot prompts z0, z1.
func compareEmbeddings(u, s, o, p, z0, z1 []float32) CLIPScores {
	ds, dt := make([]float32, len(s)), make([]float32, len(p))
	for i := range s {
		ds[i] = s[i] - u[i]
	}
	for i := range p {
		dt[i] = p[i] - o[i]
	}
	return CLIPScores{
		TextSimilarity:           cosine(o, p),
		ImageSimilarity:          cosine(u, s),
		ConditionalSimilarity:    cosine(s, p),
		UnconditionalSimilarity:  cosine(s, o),
		DirectionalSimilarity:    cosine(ds, dt),
		ConditionalZeroShotScore: zeroShotScore(s, z0, z1),
	}
}

// zeroShotPrompts are ml-act's two zero-shot captions for a concept.
func zeroShotPrompts(concept string) []string {
	return []string{"A picture of something.", "A picture of " + strings.NewReplacer("_", " ", "-", " ").Replace(concept) + "."}
}

// zeroShotScore is the softmax's second entry over [cos(img, z0), cos(img, z1)].
func zeroShotScore(img, z0, z1 []float32) float64 {
	return 1 / (1 + math.Exp(cosine(img, z0)-cosine(img, z1)))
}

// cosine is torch's cosine_similarity (eps 1e-8), in float64.
func cosine(x, y []float32) float64 {
	var xy, xx, yy float64
	for i := range x {
		a, b := float64(x[i]), float64(y[i])
		xy += a * b
		xx += a * a
		yy += b * b
	}
	return xy / (math.Max(math.Sqrt(xx), 1e-8) * math.Max(math.Sqrt(yy), 1e-8))
}

// unit returns x / ‖x‖.
func unit(x []float32) []float32 {
	var n float64
	for _, v := range x {
		n += float64(v) * float64(v)
	}
	n = math.Sqrt(n)
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(float64(v) / n)
	}
	return out
}

func batchOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}
