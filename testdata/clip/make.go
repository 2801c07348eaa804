//go:build ignore

// make.go writes testdata/clip/model, a tiny CLIPModel checkpoint for the
// CLIP judge's tests, from the two CLIP reference fixtures whose numerics
// the conformance tests check: the text tower and text_projection of
// clip_text/text_encoder_2 (CLIPTextModelWithProjection, projection 24)
// and the vision tower and visual_projection of clip_vision/checkpoint
// (CLIPVisionModelWithProjection, projection 24), their tensors copied
// byte for byte, plus logit_scale; and a CLIP-format tokenizer.json whose
// BPE vocabulary spells a few whole words within the text tower's 64 ids
// and 12 positions. Run from the repository root:
//
//	go run testdata/clip/make.go
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/tokenizer"
)

const (
	textDir   = "testdata/reference/encoders/clip_text/text_encoder_2"
	visionDir = "testdata/reference/encoders/clip_vision/checkpoint"
	out       = "testdata/clip/model"
)

// words are spelled as one token each: the tests' prompts use only these
// and ".".
var words = []string{"a", "picture", "of", "something", "photo", "dog", "cat", "red"}

// The special tokens sit at the text tower's bos_token_id and eos_token_id.
const bos, eos = 62, 63

func main() {
	if err := os.MkdirAll(out, 0o755); err != nil {
		log.Fatal(err)
	}
	config()
	weights()
	tok()
}

// config joins the towers' configs as CLIPConfig saves them.
func config() {
	text, vision := readConfig(textDir), readConfig(visionDir)
	for _, c := range []map[string]any{text, vision} {
		delete(c, "architectures")
	}
	if text["projection_dim"] != vision["projection_dim"] {
		log.Fatalf("projection_dim: text %v, vision %v", text["projection_dim"], vision["projection_dim"])
	}
	c := map[string]any{
		"architectures": []string{"CLIPModel"}, "model_type": "clip", "initializer_factor": 1.0,
		"logit_scale_init_value": 2.6592, "projection_dim": text["projection_dim"], "torch_dtype": "float32",
		"text_config": text, "vision_config": vision,
	}
	write("config.json", c)
}

func readConfig(dir string) map[string]any {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		log.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		log.Fatal(err)
	}
	return c
}

// weights copies both towers' tensors and adds CLIPModel's logit_scale
// (its initial value, log(1/0.07); the judge does not read it).
func weights() {
	var ts []safetensors.Tensor
	for _, dir := range []string{textDir, visionDir} {
		f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			log.Fatal(err)
		}
		for _, n := range f.Names() {
			dt, shape, raw, err := f.Raw(n)
			if err != nil {
				log.Fatal(err)
			}
			ts = append(ts, safetensors.Tensor{Name: n, DType: dt, Shape: shape, Data: slices.Clone(raw)})
		}
		f.Close()
	}
	ts = append(ts, safetensors.F32("logit_scale", []int{}, []float32{float32(math.Log(1 / 0.07))}))
	if err := safetensors.Write(filepath.Join(out, "model.safetensors"), ts, map[string]string{"format": "pt"}); err != nil {
		log.Fatal(err)
	}
}

// tok writes tokenizer.json in the layout of openai/clip-vit-large-patch14's
// (NFC, whitespace, lowercase; CLIP's word regex; byte-level BPE with
// "</w>" word ends; <|startoftext|> … <|endoftext|>), its vocabulary the
// letters of words (plain and word-final), ".</w>", and each word's
// prefixes, merged left to right.
func tok() {
	vocab := map[string]int{}
	add := func(s string) {
		if _, ok := vocab[s]; !ok {
			vocab[s] = len(vocab)
		}
	}
	var merges []string
	for _, w := range words {
		for i, r := range w {
			add(string(r))
			if i == len(w)-1 {
				add(string(r) + "</w>")
			}
		}
	}
	add(".</w>")
	for _, w := range words {
		prefix := w[:1]
		for i := 1; i < len(w); i++ {
			next := w[i : i+1]
			if i == len(w)-1 {
				next += "</w>"
			}
			merges = append(merges, prefix+" "+next)
			prefix += next
			add(prefix)
		}
	}
	if len(vocab) > bos {
		log.Fatalf("%d tokens do not fit below id %d", len(vocab), bos)
	}
	vocab["<|startoftext|>"], vocab["<|endoftext|>"] = bos, eos
	special := func(id int, s string) map[string]any {
		return map[string]any{"id": id, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true}
	}
	j := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": []any{special(bos, "<|startoftext|>"), special(eos, "<|endoftext|>")},
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "NFC"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": `\s+`}, "content": " "},
			map[string]any{"type": "Lowercase"},
		}},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`}, "behavior": "Removed", "invert": true},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		}},
		"post_processor": map[string]any{"type": "RobertaProcessing", "sep": []any{"<|endoftext|>", eos}, "cls": []any{"<|startoftext|>", bos},
			"trim_offsets": false, "add_prefix_space": false},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
			"end_of_word_suffix": "</w>", "fuse_unk": false, "byte_fallback": false, "vocab": vocab, "merges": merges},
	}
	write("tokenizer.json", j)
	write("tokenizer_config.json", map[string]any{
		"tokenizer_class": "CLIPTokenizer", "model_max_length": 12, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
		"unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "add_prefix_space": false, "errors": "replace",
		"do_lower_case": true, "clean_up_tokenization_spaces": false,
	})

	// Every word must come out as one token, "." as one, between the specials.
	t, err := tokenizer.Load(out)
	if err != nil {
		log.Fatal(err)
	}
	text := strings.Join(words, " ") + "."
	ids := t.Encode(text, true)
	if len(ids) != len(words)+3 || ids[0] != bos || ids[len(ids)-1] != eos {
		log.Fatalf("%q encodes to %v", text, ids)
	}
	fmt.Printf("%s: %d tokens, %q → %v\n", out, len(vocab), text, ids)
}

func write(name string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, name), append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
