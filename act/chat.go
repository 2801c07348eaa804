package act

import (
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/tiny"
)

// ApplyChatTemplate returns the prompt text of a conversation, rendered
// with the chat template of the tokenizer's folder (chat_template.jinja, or
// tokenizer_config.json's chat_template) as Hugging Face transformers'
// tokenizer.apply_chat_template(msgs, tokenize=False,
// add_generation_prompt=addGenerationPrompt) renders it. Each message holds
// "role" (system, user, assistant, ...) and "content". With
// addGenerationPrompt the text ends with the header of the assistant's
// turn, ready for [Model.Generate]. It panics with an [*Error] when the
// folder has no chat template, naming the file it read, and when the
// template rejects the conversation (raise_exception), with the template's
// message.
func (t *Tokenizer) ApplyChatTemplate(msgs []map[string]string, addGenerationPrompt bool) string {
	const call = "ApplyChatTemplate"
	if t.path == "" {
		fail("%s: this tokenizer was not loaded from a folder (NewTokenizer), so it has no tokenizer_config.json to read a chat template from; use LoadTokenizer", call)
	}
	c, err := tokenizer.LoadChatTemplate(t.path)
	if err != nil {
		fail("%s: %w", call, err)
	}
	return renderChat(call, c, msgs, addGenerationPrompt)
}

// ApplyChatTemplate returns the prompt text of a conversation under the
// chat template of the model's folder, as [Tokenizer.ApplyChatTemplate]
// does. The text holds the template's own BOS token, so encode it without
// special tokens, as apply_chat_template(tokenize=True) does:
//
//	prompt := m.ApplyChatTemplate(msgs, true)
//	ids := NewTokenizer(m.Engine().Tokenizer()).EncodePlain(prompt)
//	reply := m.Decode(m.GenerateIDs(ids, t, 0.5))
//
// ([Model.Generate] would add the tokenizer's BOS a second time where the
// tokenizer adds one to every text, as Llama 3's does.)
func (m *Model) ApplyChatTemplate(msgs []map[string]string, addGenerationPrompt bool) string {
	const call = "ApplyChatTemplate"
	return renderChat(call, m.chatTemplate(call), msgs, addGenerationPrompt)
}

// chatTemplate reads the chat template of the model's folder (the embedded
// one for tiny).
func (m *Model) chatTemplate(call string) *tokenizer.ChatTemplate {
	var c *tokenizer.ChatTemplate
	var err error
	if dir := m.m.Dir(); dir != "" {
		c, err = tokenizer.LoadChatTemplate(dir)
	} else if m.m.Name() == tiny.Name {
		c, err = embeddedChatTemplate()
	} else {
		fail("%s: model %s was not loaded from a folder, so it has no tokenizer_config.json to read a chat template from", call, m.m.Name())
	}
	if err != nil {
		fail("%s: model %s: %w", call, m.m.Name(), err)
	}
	return c
}

// embeddedChatTemplate reads the chat template of the embedded model: its
// chat_template.jinja with the special tokens of its tokenizer_config.json,
// as LoadChatTemplate reads an exported copy.
func embeddedChatTemplate() (*tokenizer.ChatTemplate, error) {
	config, err := fs.ReadFile(tiny.Files(), "tokenizer_config.json")
	if err != nil {
		return nil, err
	}
	source, err := fs.ReadFile(tiny.Files(), "chat_template.jinja")
	if err != nil {
		return nil, err
	}
	fields := map[string]any{}
	if err := json.Unmarshal(config, &fields); err != nil {
		return nil, fmt.Errorf("embedded tokenizer_config.json: %w", err)
	}
	fields["chat_template"] = string(source)
	if config, err = json.Marshal(fields); err != nil {
		return nil, err
	}
	return tokenizer.ParseChatTemplate(config, nil)
}

func renderChat(call string, c *tokenizer.ChatTemplate, msgs []map[string]string, addGenerationPrompt bool) string {
	messages := make([]map[string]any, len(msgs))
	for i, msg := range msgs {
		m := make(map[string]any, len(msg))
		for k, v := range msg {
			m[k] = v
		}
		messages[i] = m
	}
	out, err := c.Render(messages, tokenizer.ChatOptions{AddGenerationPrompt: addGenerationPrompt})
	if err != nil {
		fail("%s: %w", call, err)
	}
	return out
}
