package bpe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// jsonString encodes s as a JSON string without HTML escaping, so that
// "<|endoftext|>" reads as itself in the file.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

// TokenizerJSON returns the tokenizer in the Hugging Face tokenizers
// format of GPT-2's tokenizer.json: a BPE model (vocab in id order, merges
// as "left right" strings by rank, no unk token), ByteLevel pre-tokenizer
// (add_prefix_space false, the GPT-2 regex), ByteLevel post-processor and
// decoder, no normalizer, and the special tokens as added tokens.
func (t *Tokenizer) TokenizerJSON() []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
	first := len(t.Vocab) - len(t.Special)
	for i, s := range t.Special {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    {\"id\": %d, \"content\": %s, \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": true, \"special\": true}", first+i, jsonString(s))
	}
	b.WriteString("\n  ],\n  \"normalizer\": null,\n")
	b.WriteString("  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n")
	b.WriteString("  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true},\n")
	b.WriteString("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n")
	b.WriteString("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n    \"continuing_subword_prefix\": \"\",\n    \"end_of_word_suffix\": \"\",\n    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {")
	for i, s := range t.Vocab {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n      %s: %d", jsonString(s), i)
	}
	b.WriteString("\n    },\n    \"merges\": [")
	for i, m := range t.Merges {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n      %s", jsonString(m[0]+" "+m[1]))
	}
	b.WriteString("\n    ]\n  }\n}\n")
	return b.Bytes()
}

// ConfigJSON returns a tokenizer_config.json in the shape transformers
// writes for GPT-2: the first special token serves as BOS, EOS and UNK, no
// BOS is added, and the added tokens are listed by id.
func (t *Tokenizer) ConfigJSON(modelMaxLength int) []byte {
	var b bytes.Buffer
	eot := EndOfText
	if len(t.Special) > 0 {
		eot = t.Special[0]
	}
	b.WriteString("{\n  \"add_bos_token\": false,\n  \"add_prefix_space\": false,\n  \"added_tokens_decoder\": {")
	first := len(t.Vocab) - len(t.Special)
	for i, s := range t.Special {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    %s: {\"content\": %s, \"lstrip\": false, \"normalized\": true, \"rstrip\": false, \"single_word\": false, \"special\": true}", jsonString(strconv.Itoa(first+i)), jsonString(s))
	}
	fmt.Fprintf(&b, "\n  },\n  \"bos_token\": %s,\n  \"clean_up_tokenization_spaces\": false,\n  \"eos_token\": %s,\n  \"errors\": \"replace\",\n  \"model_max_length\": %d,\n  \"tokenizer_class\": \"GPT2Tokenizer\",\n  \"unk_token\": %s\n}\n",
		jsonString(eot), jsonString(eot), modelMaxLength, jsonString(eot))
	return b.Bytes()
}

// WriteFiles writes tokenizer.json and tokenizer_config.json into dir,
// each atomically (temporary file, then rename).
func (t *Tokenizer) WriteFiles(dir string, modelMaxLength int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bpe: write %s: %w", dir, err)
	}
	for name, data := range map[string][]byte{
		"tokenizer.json":        t.TokenizerJSON(),
		"tokenizer_config.json": t.ConfigJSON(modelMaxLength),
	} {
		if err := writeAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("bpe: write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriter(f)
	w.Write(data)
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("bpe: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bpe: write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("bpe: write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("bpe: write %s: %w", path, err)
	}
	return nil
}
