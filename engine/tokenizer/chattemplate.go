package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ChatTemplate is a tokenizer's chat template: the Jinja template of its
// tokenizer_config.json (or chat_template.jinja) that turns a conversation
// into the prompt text the model was trained on, rendered as transformers'
// tokenizer.apply_chat_template(messages, tokenize=False) renders it.
// It is safe for concurrent use once built; set Now before sharing it.
type ChatTemplate struct {
	// Source is the template text (changing it does not recompile).
	Source string
	// SpecialTokens are the variables transformers adds from the
	// tokenizer's special_tokens_map: bos_token, eos_token, unk_token,
	// sep_token, pad_token, cls_token, mask_token, the keys of
	// extra_special_tokens (strings) and additional_special_tokens (a
	// []string), each only when set and not empty.
	SpecialTokens map[string]any
	// Now is the clock of the template's strftime_now; nil means time.Now.
	Now func() time.Time

	origin string // the file the template was read from, for errors
	tmpl   *compiledTemplate
}

// ChatOptions are the arguments of [ChatTemplate.Render] besides the
// messages. The zero value renders without a generation prompt.
type ChatOptions struct {
	// AddGenerationPrompt appends the header that starts the assistant's
	// turn, as apply_chat_template(add_generation_prompt=True).
	AddGenerationPrompt bool
	// Vars are more template variables (tools, documents, date_string,
	// ...). Like apply_chat_template's keyword arguments they override the
	// special tokens of the same name. Values are nil, bool, numbers,
	// strings, []any, []string, map[string]any and []map[string]any.
	Vars map[string]any
}

// TemplateError is the error a chat template raises on purpose, with
// raise_exception("message"): the conversation does not fit the template
// (roles out of order, an unknown role, ...). Render wraps it; find it
// with errors.As.
type TemplateError struct {
	// Message is the template's text, as given to raise_exception.
	Message string
}

// Error returns the template's message.
func (e *TemplateError) Error() string { return e.Message }

// specialTokenKeys are transformers' SPECIAL_TOKENS_ATTRIBUTES, in its order.
var specialTokenKeys = []string{
	"bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
	"cls_token", "mask_token", "additional_special_tokens",
}

// LoadChatTemplate reads the chat template of the tokenizer at path: a
// tokenizer.json, a tokenizer_config.json or a folder holding them. As
// transformers does, it takes chat_template.jinja when the folder has
// one and otherwise tokenizer_config.json's chat_template (a string, or a
// list of named templates of which it takes "default"); the special tokens
// come from tokenizer_config.json, then special_tokens_map.json. A folder
// without a chat template is an error naming the file it read.
func LoadChatTemplate(path string) (*ChatTemplate, error) {
	dir := path
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("tokenizer: load chat template: %w", err)
	} else if !st.IsDir() {
		dir = filepath.Dir(path)
	}
	configFile := filepath.Join(dir, "tokenizer_config.json")
	if !strings.EqualFold(filepath.Base(path), "tokenizer.json") && filepath.Ext(path) == ".json" {
		configFile = path // a tokenizer_config.json under another name
	}
	config, err := readOptional(configFile)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load chat template: %w", err)
	}
	extra, err := readOptional(filepath.Join(dir, "special_tokens_map.json"))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load chat template: %w", err)
	}
	jinjaFile := filepath.Join(dir, "chat_template.jinja")
	source, err := readOptional(jinjaFile)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load chat template: %w", err)
	}
	if source == nil && config == nil {
		return nil, fmt.Errorf("tokenizer: load chat template: no tokenizer_config.json or chat_template.jinja in %s: %w", dir, fs.ErrNotExist)
	}
	c, raw, err := parseChatTokens(config, extra, configFile)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load chat template: %w", err)
	}
	if source != nil {
		c.Source, c.origin = string(source), jinjaFile
	} else if c.Source, err = selectTemplate(raw); err != nil {
		return nil, fmt.Errorf("tokenizer: load chat template: %s: %w, and no chat_template.jinja beside it", configFile, err)
	}
	if err := c.compile(); err != nil {
		return nil, fmt.Errorf("tokenizer: load chat template: %w", err)
	}
	return c, nil
}

// ParseChatTemplate builds the chat template of the bytes of a
// tokenizer_config.json and, optionally (nil), of a special_tokens_map.json.
func ParseChatTemplate(config, specialTokensMap []byte) (*ChatTemplate, error) {
	c, raw, err := parseChatTokens(config, specialTokensMap, "tokenizer_config.json")
	if err == nil {
		if c.Source, err = selectTemplate(raw); err != nil {
			err = fmt.Errorf("tokenizer_config.json: %w", err)
		}
	}
	if err == nil {
		err = c.compile()
	}
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return c, nil
}

// NewChatTemplate compiles a chat template given as text, with the special
// tokens it may use (see [ChatTemplate.SpecialTokens]; nil for none).
func NewChatTemplate(source string, specialTokens map[string]any) (*ChatTemplate, error) {
	if specialTokens == nil {
		specialTokens = map[string]any{}
	}
	c := &ChatTemplate{Source: source, SpecialTokens: specialTokens, origin: "the source given to NewChatTemplate"}
	if err := c.compile(); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return c, nil
}

// parseChatTokens reads the special tokens of a tokenizer_config.json and
// a special_tokens_map.json, and returns its chat_template unparsed.
func parseChatTokens(config, extra []byte, origin string) (*ChatTemplate, json.RawMessage, error) {
	c := &ChatTemplate{SpecialTokens: map[string]any{}, origin: origin}
	fields := map[string]json.RawMessage{}
	if len(config) > 0 {
		if err := json.Unmarshal(config, &fields); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", origin, err)
		}
		if fields == nil { // the file holds null
			fields = map[string]json.RawMessage{}
		}
	}
	template, extraTokens := fields["chat_template"], fields["extra_special_tokens"]
	// transformers lets special_tokens_map.json override the config's tokens.
	if len(extra) > 0 {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(extra, &m); err != nil {
			return nil, nil, fmt.Errorf("special_tokens_map.json: %w", err)
		}
		for k, v := range m {
			if slices.Contains(specialTokenKeys, k) {
				fields[k] = v
			}
		}
	}
	keys := slices.Clone(specialTokenKeys)
	var named map[string]json.RawMessage
	if !isNull(extraTokens) && json.Unmarshal(extraTokens, &named) == nil {
		var more []string
		for k, v := range named {
			if !slices.Contains(keys, k) {
				more = append(more, k)
			}
			fields[k] = v
		}
		slices.Sort(more)
		keys = append(keys, more...)
	}
	for _, k := range keys {
		raw, ok := fields[k]
		if !ok {
			continue
		}
		if k == "additional_special_tokens" {
			var list []tokenName
			if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
				out := make([]string, len(list))
				for i, t := range list {
					out[i] = string(t)
				}
				c.SpecialTokens[k] = out
			}
			continue
		}
		var t tokenName
		if json.Unmarshal(raw, &t) == nil && t != "" {
			c.SpecialTokens[k] = string(t)
		}
	}
	return c, template, nil
}

// selectTemplate picks the template transformers renders by default.
func selectTemplate(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", errors.New("no chat_template")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("chat_template must be a string or a list of {name, template}: %w", err)
	}
	var names []string
	for _, t := range list {
		if t.Name == "default" {
			return t.Template, nil
		}
		names = append(names, t.Name)
	}
	return "", fmt.Errorf("chat_template has named templates %q and none is \"default\"", names)
}

// Render returns the prompt text of messages, each a map with "role" and
// "content" (and whatever else the template reads), as transformers'
// apply_chat_template(messages, tokenize=False, ...) returns it. The
// template sees messages, add_generation_prompt, tools and documents
// (None unless in opts.Vars), the special tokens and opts.Vars. Errors
// raised by the template itself are a [*TemplateError].
func (c *ChatTemplate) Render(messages []map[string]any, opts ChatOptions) (string, error) {
	out, err := c.tmpl.render(c, messages, opts)
	if err != nil {
		return "", fmt.Errorf("tokenizer: chat template of %s: %w", c.origin, err)
	}
	return out, nil
}

// String names the template by the file it came from.
func (c *ChatTemplate) String() string {
	return fmt.Sprintf("chat template (%s, %d bytes)", c.origin, len(c.Source))
}

func (c *ChatTemplate) compile() error {
	t, err := compileTemplate(c.Source)
	if err != nil {
		return fmt.Errorf("chat template of %s: %w", c.origin, err)
	}
	c.tmpl = t
	return nil
}

func (c *ChatTemplate) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
