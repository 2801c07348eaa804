package tokenizer_test

import (
	"errors"
	"fmt"

	"github.com/actsh/actsh/engine/tokenizer"
)

func ExampleNewChatTemplate() {
	// A template as tokenizer_config.json holds it; trim_blocks drops the
	// newline after each block tag, as in transformers.
	const source = `{{ bos_token }}{% for m in messages %}
<|{{ m.role }}|>
{{ m.content | trim }}
{% endfor %}
{% if add_generation_prompt %}
<|assistant|>
{% endif %}`
	c, err := tokenizer.NewChatTemplate(source, map[string]any{"bos_token": "<s>"})
	if err != nil {
		fmt.Println(err)
		return
	}
	msgs := []map[string]any{
		{"role": "system", "content": "Be brief."},
		{"role": "user", "content": "  Hi!  "},
	}
	out, err := c.Render(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", out)
	// Output:
	// "<s><|system|>\nBe brief.\n<|user|>\nHi!\n<|assistant|>\n"
}

func ExampleTemplateError() {
	c, err := tokenizer.NewChatTemplate(`{% if messages[0].role != 'user' %}{{ raise_exception('Conversations start with the user') }}{% endif %}`, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = c.Render([]map[string]any{{"role": "assistant", "content": "Hi"}}, tokenizer.ChatOptions{})
	var te *tokenizer.TemplateError
	if errors.As(err, &te) {
		fmt.Println(te.Message)
	}
	// Output:
	// Conversations start with the user
}
