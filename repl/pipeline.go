package repl

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/actsh/actsh/act"
)

// PipelineUsage is the help of `actsh pipeline`.
const PipelineUsage = `usage: actsh pipeline [--config-name NAME] [--config-dir DIR] [--cfg [job]] [--resolve] [--info] override...

Runs ml-act's pipeline (python -m act.scripts.pipeline) on Hydra-style configs:
responses, the intervention, then the evaluations listed in evaluation.

  --config-name, -cn NAME   primary config: text_generation (default) or text_to_image_generation
  --config-dir, -cd DIR     a folder of your own configs, searched before the built-in ones (repeatable)
  --cfg [job]               print the composed config (as composed; with --resolve, resolved) and exit
  --resolve                 with --cfg: resolve the ${...} interpolations
  --info                    list the config groups and their options and exit

Overrides (Hydra's grammar):
  key=value                 change a key: text_generation.num_sentences=10, device=cpu
  group=option              choose a config: model=gpt2, task_params=giraffes, intervention_params=mean_ot
  +key=value  ++key=value   add a key / add or change it
  ~key                      remove a key (~group removes a config group)
  values                    null, true, 3, 0.5, 'quoted, string', [a, b], {k: v}, ${other.key},
                            ${oc.env:DATA_DIR,/mnt/data}

Results go to results_dir (default $OUTPUT_DIR or /tmp/results): .hydra/config.yaml,
.hydra/overrides.yaml, config.yaml (resolved), transport.act.safetensors and each
evaluation's files (generate_with_hooks/text_generation.csv, evaluate_toxicity/rtp_*.csv
and rtp_summary.json, evaluate_perplexity/model_perplexity.csv, evaluate_0shot/0shot_eval.csv,
evaluate_eleuther/mmlu.json and truthfulqa.json, calculate_clip_score/clip_score.csv).
Responses and transports are cached in cache_dir (default $CACHE_DIR, else data_dir). A
step whose outputs exist for the same inputs is skipped; an interrupted run continues
where it stopped.

Example (ml-act's README, on the embedded model):
  actsh pipeline task_params=giraffes model=tiny responses.batch_size=20 responses.max_batches=1 \
    wandb.mode=disabled text_generation.num_sentences=10 text_generation.new_seq_len=48 \
    text_generation.strength_sample_size=3 intervention_params.incremental=atonce device=cpu model.dtype=float32 \
    results_dir=results cache_dir=cache

Exit status: 0 done, 1 the run failed, 2 a bad option, override or config (nothing written).
`

// pipelineHelp is PipelineUsage with the evaluations this version runs.
func pipelineHelp() string {
	return PipelineUsage + "\nEvaluations (evaluation=[...]): " + strings.Join(act.PipelineEvaluations(), ", ") + "\n"
}

// Pipeline runs `actsh pipeline args...` and returns the exit status.
// Ctrl-C stops the run between batches; the next run continues.
func Pipeline(args []string, stdout, stderr io.Writer) int {
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "actsh pipeline: "+format+"\n", a...)
		return 2
	}
	var o act.PipelineOptions
	cfg, resolve, info := false, false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, bool) {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "-") {
				return v, true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		flag, _, _ := strings.Cut(a, "=")
		switch flag {
		case "-h", "-help", "--help":
			fmt.Fprint(stdout, pipelineHelp())
			return 0
		case "--config-name", "-cn":
			v, ok := value()
			if !ok || v == "" {
				return usage("%s needs a config name", flag)
			}
			o.ConfigName = v
		case "--config-dir", "-cd", "--config-path", "-cp":
			v, ok := value()
			if !ok || v == "" {
				return usage("%s needs a folder", flag)
			}
			o.ConfigDirs = append(o.ConfigDirs, v)
		case "--cfg", "-c":
			cfg = true
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				if v != "job" && v != "all" {
					return usage("--cfg %s: actsh prints the job config (--cfg job)", v)
				}
			} else if i+1 < len(args) && (args[i+1] == "job" || args[i+1] == "all") {
				i++
			} else if i+1 < len(args) && args[i+1] == "hydra" {
				return usage("--cfg hydra: actsh has no Hydra runtime config; --cfg job prints the pipeline's")
			}
		case "--resolve":
			resolve = true
		case "--info", "-i":
			info = true
		case "--multirun", "-m":
			return usage("--multirun (sweeps) is not supported; run one configuration at a time")
		default:
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "~") {
				return usage("unknown option %s (see actsh pipeline --help)", a)
			}
			o.Overrides = append(o.Overrides, a)
		}
	}
	if info {
		return pipelineInfo(o, stdout, stderr)
	}
	if cfg {
		c, err := act.PipelineConfig(o)
		if err != nil {
			return usage("%v", err)
		}
		if err := c.Check(); err != nil && resolve {
			return usage("%v", err)
		}
		y, err := c.YAML(resolve)
		if err != nil {
			return usage("%v", err)
		}
		fmt.Fprint(stdout, y)
		return 0
	}
	o.Log = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := act.RunPipeline(ctx, o)
	if err != nil {
		if act.IsConfigError(err) {
			return usage("%v", err)
		}
		fmt.Fprintf(stderr, "actsh pipeline: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	return 0
}

// pipelineInfo lists the config groups and options.
func pipelineInfo(o act.PipelineOptions, stdout, stderr io.Writer) int {
	c, err := act.PipelineConfig(o)
	if err != nil {
		fmt.Fprintf(stderr, "actsh pipeline: %v\n", err)
		return 2
	}
	groups := act.PipelineGroups(o.ConfigDirs...)
	chosen := map[string]string{}
	for _, ch := range c.Choices() {
		chosen[ch.Group] = ch.Option
	}
	fmt.Fprintln(stdout, "Config groups (* the choice of this config):")
	for _, g := range groups {
		if g.Name == "" {
			fmt.Fprintf(stdout, "  %-20s %s\n", "--config-name", strings.Join(g.Options, ", "))
			continue
		}
		opts := make([]string, len(g.Options))
		for i, op := range g.Options {
			opts[i] = op
			if chosen[g.Name] == op {
				opts[i] = "*" + op
			}
		}
		fmt.Fprintf(stdout, "  %-20s %s\n", g.Name+":", strings.Join(opts, ", "))
	}
	fmt.Fprintf(stdout, "Evaluations: %s\n", strings.Join(act.PipelineEvaluations(), ", "))
	return 0
}
