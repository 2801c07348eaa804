package act

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/tiny"
)

// chatConfig returns a tokenizer_config.json with the chat template of a
// fixture of engine/tokenizer (llama3, gemma3, ...) and the given tokens.
func chatConfig(t *testing.T, name string, tokens map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "engine", "tokenizer", "testdata", "chat_templates", name+".tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{"chat_template": cfg["chat_template"]}
	for k, v := range tokens {
		out[k] = v
	}
	b, err = json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTokenizerApplyChatTemplate(t *testing.T) {
	dir := gpt2Folder(t)
	// Llama 3's template, with GPT-2's token as BOS: the tokenizer must
	// know the special tokens its config names.
	config := chatConfig(t, "llama3", map[string]any{"bos_token": "<|endoftext|>"})
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	tok := LoadTokenizer(dir)
	msgs := []map[string]string{
		{"role": "system", "content": "Be brief."},
		{"role": "user", "content": "  Hi {{ there }}  "},
	}
	got := tok.ApplyChatTemplate(msgs, true)
	want := "<|endoftext|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
		"<|start_header_id|>user<|end_header_id|>\n\nHi {{ there }}<|eot_id|>" +
		"<|start_header_id|>assistant<|end_header_id|>\n\n"
	if got != want {
		t.Errorf("ApplyChatTemplate =\n%q\nwant\n%q", got, want)
	}
	// This Llama 3 template (the base model's) writes the assistant's
	// header with or without the generation prompt.
	if got := LoadTokenizer(filepath.Join(dir, "tokenizer.json")).ApplyChatTemplate(msgs, false); got != want {
		t.Errorf("without the generation prompt, from tokenizer.json: %q", got)
	}

	// The same as the engine renders it.
	c, err := tokenizer.ParseChatTemplate(config, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ref, err := c.Render([]map[string]any{{"role": "system", "content": "Be brief."}, {"role": "user", "content": "  Hi {{ there }}  "}}, tokenizer.ChatOptions{AddGenerationPrompt: true}); err != nil || ref != want {
		t.Errorf("engine: %q, %v", ref, err)
	}
}

func TestApplyChatTemplateErrors(t *testing.T) {
	gemma := gpt2Folder(t)
	if err := os.WriteFile(filepath.Join(gemma, "tokenizer_config.json"), chatConfig(t, "gemma3", map[string]any{"bos_token": "<|endoftext|>"}), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := gpt2Folder(t)
	if err := os.WriteFile(filepath.Join(plain, "tokenizer_config.json"), []byte(`{"bos_token": "<|endoftext|>"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	twoUsers := []map[string]string{{"role": "user", "content": "a"}, {"role": "user", "content": "b"}}
	tests := []struct {
		name string
		f    func()
		want []string // parts of the one-line message
	}{
		{"template rejects", func() { LoadTokenizer(gemma).ApplyChatTemplate(twoUsers, true) },
			[]string{"act: ApplyChatTemplate: ", "tokenizer_config.json", "Conversation roles must alternate user/assistant/user/assistant/..."}},
		{"no chat template", func() { LoadTokenizer(plain).ApplyChatTemplate(twoUsers, true) },
			[]string{"act: ApplyChatTemplate: ", filepath.Join(plain, "tokenizer_config.json"), "no chat_template"}},
		{"no folder", func() { NewTokenizer(LoadTokenizer(plain).Raw()).ApplyChatTemplate(twoUsers, true) },
			[]string{"act: ApplyChatTemplate: ", "LoadTokenizer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := panics(tc.f)
			if e == nil {
				t.Fatal("no panic")
			}
			msg := e.Msg
			if strings.Contains(msg, "\n") {
				t.Errorf("message %q is not one line", msg)
			}
			for _, part := range tc.want {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q lacks %q", msg, part)
				}
			}
		})
	}
}

// The embedded model has a plain chat template of its own
// (tiny/data/model/chat_template.jinja), with its tokenizer's BOS; an
// exported copy renders the same, as transformers reads it.
func TestEmbeddedChatTemplate(t *testing.T) {
	msgs := []map[string]string{{"role": "system", "content": " Be kind. "}, {"role": "user", "content": "Hello"}}
	want := "<|endoftext|>system: Be kind.\nuser: Hello\nassistant:\n"
	if got := Load("tiny").ApplyChatTemplate(msgs, true); got != want {
		t.Errorf("tiny: %q, want %q", got, want)
	}
	dir := filepath.Join(t.TempDir(), "tiny")
	if err := tiny.Export(dir); err != nil {
		t.Fatal(err)
	}
	if got := LoadTokenizer(dir).ApplyChatTemplate(msgs, true); got != want {
		t.Errorf("exported: %q, want %q", got, want)
	}
	if got, want := Load("tiny").ApplyChatTemplate(msgs[1:], false), "<|endoftext|>user: Hello\n"; got != want {
		t.Errorf("without the generation prompt: %q, want %q", got, want)
	}
}

func TestModelApplyChatTemplate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tiny-chat")
	if err := tiny.Export(dir); err != nil {
		t.Fatal(err)
	}
	config := chatConfig(t, "gemma3", map[string]any{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"})
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	// chat_template.jinja would win over tokenizer_config.json's template.
	if err := os.Remove(filepath.Join(dir, "chat_template.jinja")); err != nil {
		t.Fatal(err)
	}
	m := Load(dir)
	msgs := []map[string]string{{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hello"}}
	got := m.ApplyChatTemplate(msgs, true)
	want := "<|endoftext|><start_of_turn>user\nBe kind.\n\nHello<end_of_turn>\n<start_of_turn>model\n"
	if got != want {
		t.Errorf("ApplyChatTemplate =\n%q\nwant\n%q", got, want)
	}
}
