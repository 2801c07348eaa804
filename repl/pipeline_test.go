package repl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Malformed overrides and configs: one readable line on stderr, exit status
// 2, and nothing written (neither results_dir nor cache_dir appears).
func TestPipelineBadInput(t *testing.T) {
	cfgDir := t.TempDir()
	os.MkdirAll(filepath.Join(cfgDir, "model"), 0o755)
	os.WriteFile(filepath.Join(cfgDir, "broken.yaml"), []byte("defaults:\n  - _self_\nseed: [1, 2\n"), 0o644)
	os.WriteFile(filepath.Join(cfgDir, "model", "bad.yaml"), []byte("model_path: \"unclosed\n"), 0o644)
	os.WriteFile(filepath.Join(cfgDir, "model", "nomodules.yaml"), []byte("model_path: tiny\ndefault_batch_size: 2\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"text_generation.num_sentense=3"}, `did you mean "num_sentences"?`},
		{[]string{"model=gemma-2-2"}, `did you mean "gemma-2-2b"?`},
		{[]string{"intervention_params=linear"}, `no option "linear" in config group "intervention_params"`},
		{[]string{"text_generation.num_sentences=ten"}, "text_generation.num_sentences expects an integer"},
		{[]string{"fast=maybe"}, "fast expects a boolean"},
		{[]string{"task_params.src_subsets=toxic"}, "task_params.src_subsets expects a list"},
		{[]string{"seed=1,2"}, "sweep"},
		{[]string{"seed=choice(1,2)"}, "choice("},
		{[]string{"seed"}, "missing '=value'"},
		{[]string{"+seed=3"}, "seed already exists"},
		{[]string{"~nosuch"}, `no key "nosuch"`},
		{[]string{"text_generation.prompt=[a, b"}, "missing its closing ']'"},
		{[]string{"evaluation=['text-generation','clip_score']"}, "generate_with_hooks_diffusion does not exist: the text-to-image-generation evaluation writes it"},
		{[]string{"evaluation=[text-generaton]"}, `unknown evaluation "text-generaton" (did you mean "text-generation"?)`},
		{[]string{"intervention_params.incremental=sometimes"}, "intervention_params.incremental=sometimes: want one of incr, atonce"},
		{[]string{"intervention_params.hook_params.quantiles_src=q_3_97"}, "quantiles_src=q_3_97: want one of"},
		{[]string{"intervention_params.pooling_op=average"}, "pooling_op=average: want one of"},
		{[]string{"device=tpu"}, "device=tpu: want one of auto, cpu, cuda"},
		{[]string{"responses.batch_size=0"}, "responses.batch_size must be at least 1"},
		{[]string{"text_generation.strength_sample_size=-1"}, "strength_sample_size must be at least 1"},
		{[]string{"task_params.dataset=imagenet"}, "task_params.dataset=imagenet: unknown data set"},
		{[]string{"task_params.dataset_params.json_path=missing.json"}, "json_path=missing.json: not found"},
		{[]string{"text_generation.prompt=missing.txt"}, "text_generation.prompt=missing.txt:"},
		{[]string{"results_dir=${nope.key}"}, `no key "nope"`},
		{[]string{"+x=${oc.env:ACTSH_SURELY_UNSET}"}, "ACTSH_SURELY_UNSET is not set"},
		{[]string{"--config-name", "text_gen"}, `did you mean "text_generation"?`},
		{[]string{"--config-name", "text_to_image_generation"}, "coco_captions_2017/captions_train2017.json"},
		{[]string{"--config-dir", cfgDir, "--config-name", "broken"}, "broken.yaml: not valid YAML"},
		{[]string{"--config-dir", cfgDir, "model=bad"}, "model/bad.yaml: not valid YAML"},
		{[]string{"--config-dir", cfgDir, "model=nomodules"}, `no key "model.default_module_names"`},
		{[]string{"--config-dir", filepath.Join(cfgDir, "nope")}, "does not exist"},
		{[]string{"--multirun", "seed=1"}, "--multirun"},
		{[]string{"--bogus"}, "unknown option --bogus"},
	}
	for _, tc := range cases {
		d := t.TempDir()
		// The case's own arguments come last: the last override of a key wins.
		// Should a case run by mistake, it runs small.
		args := append([]string{"task_params=giraffes", "model=tiny", "results_dir=" + filepath.Join(d, "results"),
			"cache_dir=" + filepath.Join(d, "cache"), "text_generation.num_sentences=1", "text_generation.strength_sample_size=1"}, tc.args...)
		if tc.args[0] == "--config-name" && tc.args[1] == "text_to_image_generation" {
			args = append(tc.args[:2:2], "results_dir="+filepath.Join(d, "results"), "cache_dir="+filepath.Join(d, "cache"), "data_dir="+filepath.Join(d, "nodata"))
		}
		var stdout, stderr bytes.Buffer
		code := Pipeline(args, &stdout, &stderr)
		msg := stderr.String()
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, code, msg)
		}
		if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "actsh pipeline: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%v:\n got %q\nwant one line containing %q", tc.args, msg, tc.want)
		}
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("%v: wrote %v", tc.args, entries)
		}
	}
	if len(cases) < 20 {
		t.Fatalf("%d cases", len(cases))
	}
}

// --cfg prints the composed config; --info lists the groups.
func TestPipelineCfgAndInfo(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Pipeline([]string{"--cfg", "model=gpt2", "seed=7"}, &out, &errb); code != 0 {
		t.Fatalf("--cfg: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "model_path: openai-community/gpt2") || !strings.Contains(out.String(), "seed: 7\n") ||
		!strings.Contains(out.String(), "batch_size: ${batch_size}") {
		t.Errorf("--cfg output:\n%s", out.String())
	}
	out.Reset()
	if code := Pipeline([]string{"--cfg", "job", "--resolve", "model=gpt2"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "  batch_size: 32\n") {
		t.Errorf("--cfg job --resolve: %d\n%s", code, out.String())
	}
	out.Reset()
	if code := Pipeline([]string{"--info"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "*linear_ot") || !strings.Contains(out.String(), "tiny") {
		t.Errorf("--info: %d\n%s", code, out.String())
	}
	out.Reset()
	if code := Pipeline([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "\nEvaluations (evaluation=[...]): ") ||
		!strings.Contains(out.String(), " mmlu,") {
		t.Errorf("--help does not list the evaluations: %d\n%s", code, out.String())
	}
}
