package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/configs"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func compose(t *testing.T, name string, overrides ...string) *config.Config {
	t.Helper()
	c, err := config.Compose(config.Options{Name: name, Base: configs.FS, Overrides: overrides, LookupEnv: env(nil)})
	if err != nil {
		t.Fatalf("compose %s %v: %v", name, overrides, err)
	}
	if err := c.Check(); err != nil {
		t.Fatalf("check %s %v: %v", name, overrides, err)
	}
	return c
}

// The defaults of ml-act's text_generation.yaml compose as Hydra composes them.
func TestDefaults(t *testing.T) {
	c := compose(t, "text_generation")
	want := map[string]string{
		"model.model_path":         "google/gemma-2-2b",
		"intervention_params.name": "linear_ot",
		"task_params.dataset":      "jigsaw",
		"data_dir":                 "/mnt/data",
		"cache_dir":                "/mnt/data",
		"results_dir":              "/tmp/results",
		"model.dtype":              "bfloat16",
		"responses.dtype":          "float32",
		"responses.intervention_params.pooling_op": "mean",
		"wandb.tags.2":           "google/gemma-2-2b",
		"text_generation.prompt": "Once upon a time",
	}
	for k, v := range want {
		got, err := c.String(k)
		if err != nil || got != v {
			t.Errorf("%s = %q, %v; want %q", k, got, err, v)
		}
	}
	if n, err := c.Int("responses.batch_size"); err != nil || n != 32 {
		t.Errorf("responses.batch_size = %d, %v; want 32 (from model.default_batch_size)", n, err)
	}
	mods, err := c.Strings("responses.model_params.module_names")
	if err != nil || strings.Join(mods, " ") != ".*post_attention_layernorm .*post_feedforward_layernorm" {
		t.Errorf("module_names through two references = %v, %v", mods, err)
	}
	ev, err := c.Strings("evaluation")
	if err != nil || len(ev) != 5 || ev[4] != "rtp" {
		t.Errorf("evaluation = %v, %v", ev, err)
	}
	var got []string
	for _, ch := range c.Choices() {
		got = append(got, ch.Group+"="+ch.Option)
	}
	if s := strings.Join(got, " "); s != "wandb=act intervention_params=linear_ot task_params=toxicity model=gemma-2-2b" {
		t.Errorf("choices %s", s)
	}
}

// ml-act's README example, word for word.
func TestMLActReadmeOverrides(t *testing.T) {
	c := compose(t, "text_generation",
		"task_params=giraffes", "responses.batch_size=20", "responses.max_batches=1", "wandb.mode=disabled",
		"text_generation.num_sentences=10", "text_generation.new_seq_len=48", "text_generation.strength_sample_size=3",
		"intervention_params.incremental=atonce", "device=cpu", "model.dtype=float32")
	checks := map[string]string{
		"task_params.dataset":                           "json-subsets",
		"interventions.intervention_params.incremental": "atonce",
		"text_generation.device":                        "cpu",
		"model.dtype":                                   "float32",
		"text_generation.model_params.dtype":            "float32",
		"task_params.dataset_params.json_path":          "data/giraffes.json",
	}
	for k, v := range checks {
		if got, err := c.String(k); err != nil || got != v {
			t.Errorf("%s = %q, %v; want %q", k, got, err, v)
		}
	}
	if n, _ := c.Int("responses.max_batches"); n != 1 {
		t.Errorf("max_batches %d", n)
	}
	if ev, _ := c.Strings("evaluation"); strings.Join(ev, ",") != "text-generation" {
		t.Errorf("evaluation %v", ev)
	}
	// The diffusion example's overrides.
	d := compose(t, "text_to_image_generation", "task_params=coco_styles", "task_params.src_subsets=['none']",
		"task_params.dst_subsets=['art_nouveau']", "task_params.prompt_subset=['none']", "responses.batch_size=8",
		"responses.max_batches=64", "interventions.max_batches=null", "wandb.mode=disabled",
		"evaluation=['text-to-image-generation']", "text_to_image_generation.batch_size=1",
		"text_to_image_generation.max_batches=1", "text_to_image_generation.create_gif=true", "device=cuda")
	if n, _ := d.Int("text_to_image_generation.num_inference_steps"); n != 4 {
		t.Errorf("num_inference_steps (relative reference) = %d", n)
	}
	if !d.IsNull("interventions.max_batches") {
		t.Error("interventions.max_batches=null not null")
	}
}

func TestGrammar(t *testing.T) {
	c := compose(t, "text_generation",
		"model=gpt2",
		"+extra.nested.value=3.5",
		"++seed=7",
		"~mmlu",
		`text_generation.prompt='hello, world'`,
		`+list=[a, 'b c', [1, 2], {x: null}]`,
		"+esc=a\\,b",
		"+interp=${model.model_path}/x",
		"+env=${oc.env:ACTSH_TEST_UNSET,fallback}",
		"+empty=",
		"+yes=TRUE",
		"+neg=-3",
		"+sci=1e-3",
		"text_generation.prompt=${model.model_path}",
	)
	if s, _ := c.String("model.model_path"); s != "openai-community/gpt2" {
		t.Errorf("model=gpt2: %s", s)
	}
	if f, _ := c.Float("extra.nested.value"); f != 3.5 {
		t.Errorf("+extra.nested.value %v", f)
	}
	if n, _ := c.Int("text_generation.seed"); n != 7 {
		t.Errorf("++seed: text_generation.seed = %d", n)
	}
	if c.Has("mmlu") {
		t.Error("~mmlu kept mmlu")
	}
	y, err := c.YAML(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"list:\n  - a\n  - b c\n  - - 1\n    - 2\n  - x: null\n",
		"esc: a,b\n", "interp: openai-community/gpt2/x\n", "env: fallback\n", `empty: ""`, "yes: true\n", "neg: -3\n", "sci: 0.001\n",
		"prompt: openai-community/gpt2\n",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("resolved YAML lacks %q", want)
		}
	}
	raw, _ := c.YAML(false)
	if !strings.Contains(raw, "prompt: ${model.model_path}") || !strings.Contains(raw, "data_dir: ${oc.env:DATA_DIR,/mnt/data}") {
		t.Errorf("unresolved YAML lost its interpolations:\n%s", raw)
	}
}

func TestEnvAndNestedDefault(t *testing.T) {
	c, err := config.Compose(config.Options{Name: "text_generation", Base: configs.FS, LookupEnv: env(map[string]string{"DATA_DIR": "/d"})})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := c.String("cache_dir"); s != "/d" {
		t.Errorf("cache_dir = %q; want /d through ${oc.env:CACHE_DIR,${data_dir}}", s)
	}
	c, _ = config.Compose(config.Options{Name: "text_generation", Base: configs.FS, LookupEnv: env(map[string]string{"DATA_DIR": "/d", "CACHE_DIR": "/c"})})
	if s, _ := c.String("responses.cache_dir"); s != "/c" {
		t.Errorf("cache_dir = %q; want /c", s)
	}
}

// A user's folder adds options and replaces built-in files.
func TestUserConfigDir(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "model"), 0o755)
	os.WriteFile(filepath.Join(dir, "model", "mine.yaml"), []byte("model_path: /models/mine\ndefault_batch_size: 4\ndefault_module_names:\n  default: ['.*ln_1']\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "model", "gpt2.yaml"), []byte("model_path: /local/gpt2\ndefault_batch_size: 2\ndefault_module_names:\n  default: ['x']\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "exp.yaml"), []byte("# @package _global_\ndefaults:\n  - text_generation_base: x\n"), 0o644)
	for _, tc := range []struct{ model, path string }{{"mine", "/models/mine"}, {"gpt2", "/local/gpt2"}, {"tiny", "tiny"}} {
		c, err := config.Compose(config.Options{Name: "text_generation", Dirs: []string{dir}, Base: configs.FS, Overrides: []string{"model=" + tc.model}})
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := c.String("model.model_path"); s != tc.path {
			t.Errorf("model=%s: %s", tc.model, s)
		}
	}
}

// Bad overrides and configs: one line, naming what is wrong and what would be right.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("a: [1, 2\nb: 3\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cycle.yaml"), []byte("a: ${b}\nb: ${a}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "list.yaml"), []byte("- 1\n- 2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "dangling.yaml"), []byte("a: ${nope.x}\n"), 0o644)
	cases := []struct {
		name      string
		overrides []string
		want      string
	}{
		{"", []string{"text_generation.num_sentense=3"}, `did you mean "num_sentences"?`},
		{"", []string{"model=gemma-2-2"}, `did you mean "gemma-2-2b"?`},
		{"", []string{"intervention_params=linear"}, `no option "linear" in config group "intervention_params"`},
		{"", []string{"text_generation.num_sentences=abc"}, "text_generation.num_sentences expects an integer, got \"abc\""},
		{"", []string{"fast=maybe"}, "fast expects a boolean"},
		{"", []string{"task_params.src_subsets=toxic"}, "expects a list"},
		{"", []string{"text_generation=3"}, "expects a section"},
		{"", []string{"seed=1,2"}, "sweep"},
		{"", []string{"seed=choice(1,2)"}, "functions such as choice("},
		{"", []string{"seed"}, "missing '=value'"},
		{"", []string{"=3"}, "missing key"},
		{"", []string{"+seed=3"}, "seed already exists"},
		{"", []string{"~nosuch"}, `no key "nosuch" to remove`},
		{"", []string{"text_generation.prompt=[a, b"}, "missing its closing ']'"},
		{"", []string{"text_generation.prompt='abc"}, "missing its closing '"},
		{"", []string{"+x=${oc.env:ACTSH_SURELY_UNSET}"}, "ACTSH_SURELY_UNSET is not set"},
		{"", []string{"+x=${oc.nope:1}"}, `unknown resolver "oc.nope"`},
		{"", []string{"+x=${model.nope}"}, `no key "model.nope"`},
		{"", []string{"text_generation.model_params.seq_len=3"}, "is a reference (${model})"},
		{"", []string{"mode@pkg=x"}, "package overrides"},
		{"", []string{"bad key=3"}, "is not a key"},
		{"text_gen", nil, `did you mean "text_generation"?`},
		{"broken", nil, "broken.yaml: not valid YAML"},
		{"cycle", nil, "interpolation cycle"},
		{"list", nil, "must hold a mapping"},
		{"dangling", nil, `no key "nope"`},
	}
	for _, tc := range cases {
		name := tc.name
		if name == "" {
			name = "text_generation"
		}
		c, err := config.Compose(config.Options{Name: name, Dirs: []string{dir}, Base: configs.FS, Overrides: tc.overrides, LookupEnv: env(nil)})
		if err == nil {
			err = c.Check()
		}
		if err == nil {
			t.Errorf("%s %v: no error", name, tc.overrides)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s %v:\n got %q\nwant one line containing %q", name, tc.overrides, msg, tc.want)
		}
		if _, ok := err.(*config.Error); !ok {
			t.Errorf("%s %v: error is %T, want *config.Error", name, tc.overrides, err)
		}
	}
}

// Every built-in option of every group composes and resolves.
func TestAllBuiltinOptions(t *testing.T) {
	groups := map[string][]string{
		"model":               {"gpt2", "gemma-2-2b", "Meta-Llama-3-8B", "SDXL-Lightning", "FLUX.1-schnell", "tiny"},
		"task_params":         {"giraffes", "toxicity", "coco_styles", "coco_concepts", "diffusion_prompts"},
		"intervention_params": {"linear_ot", "mean_ot", "gaussian_ot", "aura", "none", "act_add", "iti_c", "exact_ot"},
	}
	for _, primary := range []string{"text_generation", "text_to_image_generation"} {
		for g, opts := range groups {
			for _, o := range opts {
				if primary == "text_to_image_generation" && g == "model" && !strings.Contains("SDXL-Lightning FLUX.1-schnell", o) {
					continue // guidance_scale and inference_steps come from image models
				}
				c := compose(t, primary, g+"="+o)
				if _, err := c.Strings("model.module_names"); err != nil {
					t.Errorf("%s %s=%s: %v", primary, g, o, err)
				}
			}
		}
	}
}

// A float may replace an integer, as in Hydra's untyped configs; a key
// read as an integer then says it wants one.
func TestFloatForInt(t *testing.T) {
	c := compose(t, "text_generation", "text_generation.max_strength=1.5", "text_generation.num_sentences=2.5")
	if v, err := c.Float("text_generation.max_strength"); err != nil || v != 1.5 {
		t.Errorf("max_strength = %v, %v; want 1.5", v, err)
	}
	if _, err := c.Int("text_generation.num_sentences"); err == nil || !strings.Contains(err.Error(), "integer") {
		t.Errorf("num_sentences=2.5 read as an integer: %v, want an error saying it wants an integer", err)
	}
}

// A resolver argument may be a list or a dict, as OmegaConf's grammar
// reads ${oc.select:key,[a, b]}; commas inside it do not split arguments.
func TestResolverListArgument(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(strings.Join([]string{
		"have: [x, y]",
		"list: ${oc.select:nope,[mmlu, truthfulqa_mc1]}",
		"found: ${oc.select:have,[mmlu]}",
		`dict: "${oc.select:nope,{k: 1, j: [2, 3]}}"`,
		`quoted: ${oc.select:nope,'[a, b]'}`,
	}, "\n")), 0o644)
	c, err := config.Compose(config.Options{Name: "t", Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Strings("list"); err != nil || strings.Join(v, "|") != "mmlu|truthfulqa_mc1" {
		t.Errorf("list = %q, %v; want [mmlu truthfulqa_mc1]", v, err)
	}
	if v, err := c.Strings("found"); err != nil || strings.Join(v, "|") != "x|y" {
		t.Errorf("found = %q, %v; want [x y]", v, err)
	}
	if v, err := c.Int("dict.k"); err != nil || v != 1 {
		t.Errorf("dict.k = %v, %v; want 1", v, err)
	}
	if v, err := c.String("quoted"); err != nil || v != "[a, b]" {
		t.Errorf("quoted = %q, %v; want the string [a, b]", v, err)
	}
}

// The eleuther evaluation's tasks default to the task's eleuther_tasks
// (TruthfulQA's) and to ml-act's [mmlu] otherwise.
func TestEleutherTasksDefault(t *testing.T) {
	for _, tc := range []struct{ task, want string }{
		{"truthfulqa", "truthfulqa_mc1 truthfulqa_mc2 mmlu"},
		{"toxicity", "mmlu"},
	} {
		c := compose(t, "text_generation", "task_params="+tc.task)
		if v, err := c.Strings("mmlu.tasks"); err != nil || strings.Join(v, " ") != tc.want {
			t.Errorf("task_params=%s: mmlu.tasks = %q, %v; want %s", tc.task, v, err, tc.want)
		}
	}
}
