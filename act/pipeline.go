package act

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/act/dataset"
	"github.com/actsh/actsh/act/responses"
	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/configs"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/safetensors"
)

// PipelineOptions say which config a pipeline runs: the same choices as
// `actsh pipeline [--config-name NAME] [--config-dir DIR] override...`.
type PipelineOptions struct {
	// ConfigName is the primary config (default "text_generation").
	ConfigName string
	// ConfigDirs are the user's config folders, searched before the
	// built-in configs (package configs).
	ConfigDirs []string
	// Overrides are Hydra overrides: "task_params=giraffes", "seed=3", ...
	Overrides []string
	// Log receives one line per step and the progress bars (nil: os.Stderr;
	// io.Discard for silence).
	Log io.Writer
	// LookupEnv reads environment variables for ${oc.env:...} (nil:
	// os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// PipelineResult says what a pipeline run produced.
type PipelineResult struct {
	// ResultsDir is the folder of the run's results (results_dir).
	ResultsDir string
	// Transport is the learned (or loaded) intervention; nil for
	// intervention_params=none.
	Transport *Transport
	// Files are the result files, relative to ResultsDir.
	Files []string
	// Skipped names the steps whose outputs existed for the same inputs.
	Skipped []string
}

// String lists the results.
func (r *PipelineResult) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "pipeline results in %s:", r.ResultsDir)
	for _, f := range r.Files {
		fmt.Fprintf(&sb, "\n  %s", f)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&sb, "\n  (reused: %s)", strings.Join(r.Skipped, ", "))
	}
	return sb.String()
}

// Pipeline runs ml-act's pipeline on a config, as `actsh pipeline` does:
// Pipeline("text_generation", "task_params=giraffes", "model=tiny"). It
// computes the responses, learns the intervention, runs the evaluations
// listed in `evaluation` and returns what it wrote to results_dir. Steps
// whose outputs exist for the same inputs are skipped, an interrupted run
// continues where it stopped. A bad override or config panics with one line
// (as every function of this package); Ctrl-C ([Context]) interrupts.
func Pipeline(name string, overrides ...string) *PipelineResult {
	r, err := RunPipeline(Context(), PipelineOptions{ConfigName: name, Overrides: overrides})
	must(err)
	return r
}

// PipelineConfig composes a pipeline's config without running it (what
// `actsh pipeline --cfg` prints).
func PipelineConfig(o PipelineOptions) (*config.Config, error) {
	name := o.ConfigName
	if name == "" {
		name = "text_generation"
	}
	return config.Compose(config.Options{Name: name, Dirs: o.ConfigDirs, Base: configs.FS, Overrides: o.Overrides, LookupEnv: o.LookupEnv})
}

// ConfigError is a pipeline problem found before anything runs: a bad
// override or config, an unknown evaluation, a missing data file. `actsh
// pipeline` exits with status 2 for it.
type ConfigError struct{ Err error }

// Error returns the problem's one line.
func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error (often a *config.Error).
func (e *ConfigError) Unwrap() error { return e.Err }

// IsConfigError reports whether err is a config problem found before the
// pipeline ran anything.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// RunPipeline is [Pipeline] with options, a context and errors instead of
// panics. Config problems are *ConfigError and nothing is written for them.
func RunPipeline(ctx context.Context, o PipelineOptions) (*PipelineResult, error) {
	if o.Log == nil {
		o.Log = os.Stderr
	}
	cfg, err := PipelineConfig(o)
	if err != nil {
		return nil, &ConfigError{err}
	}
	p, err := planPipeline(cfg, o)
	if err != nil {
		return nil, &ConfigError{err}
	}
	run := &pipelineRun{pipelinePlan: p, ctx: ctx, log: o.Log, res: &PipelineResult{ResultsDir: p.resultsDir}}
	var runErr error
	if err := catch(func() { runErr = run.run() }); err != nil {
		return nil, err
	}
	if runErr != nil {
		return nil, runErr
	}
	return run.res, nil
}

// pipelineEvent is called at the points where a killed run must resume
// cleanly ("responses" after each batch on disk, "intervention" after the
// transport is saved, "generation" after each batch of sentences); tests
// use it to kill the process there.
var pipelineEvent = func(event string) {}

// pipelinePlan is a config read and checked before anything runs.
type pipelinePlan struct {
	cfg       *config.Config
	overrides []string
	task      string

	modelPath, modelName, device, dtype string
	seqLen                              int
	patterns                            []string

	dataset, dataFile string // dataFile: a path, or "builtin:data/x.json"
	src, dst          []string
	tqaFit, tqaEval   *TruthfulQAData // dataset truthfulqa: the questions learned from and the rest
	tqaFrac           float64         // their task_params.dataset_params.fit_fraction
	img               *imagePlan      // text-to-image data sets: the prompts to learn from and to generate
	imageSteps        int             // text-to-image: model.inference_steps (SDXL-Lightning's UNet)

	dataDir, cacheDir, resultsDir, intCacheDir string

	computeResponses, computeInterventions bool
	respResume, intResume                  bool
	respBatch, maxBatches                  int
	seed, fitSeed                          uint64
	pooling                                string

	method, incremental, position, support, statePath string
	strength, beta                                    float64

	evals     []evalStep
	moves     map[string]string // evaluation → the one it runs after (runAfter)
	wandbMode string            // not "disabled": say that nothing goes to wandb
}

// planned reports whether an evaluation is planned before the one being
// planned now.
func (p *pipelinePlan) planned(name string) bool {
	return slices.ContainsFunc(p.evals, func(e evalStep) bool { return e.name == name })
}

// listed reports whether an evaluation is in the config's evaluation list.
func (p *pipelinePlan) listed(name string) bool {
	evals, err := p.cfg.Strings("evaluation")
	return err == nil && slices.Contains(evals, name)
}

// runAfter makes the evaluation name run right after later, which is
// listed after it: for a step that reads what the later one writes.
func (p *pipelinePlan) runAfter(name, later string) {
	if p.moves == nil {
		p.moves = map[string]string{}
	}
	p.moves[name] = later
}

// reorder applies runAfter's moves to the planned evaluations.
func (p *pipelinePlan) reorder() {
	for name, later := range p.moves {
		i := slices.IndexFunc(p.evals, func(e evalStep) bool { return e.name == name })
		if i < 0 {
			continue
		}
		e := p.evals[i]
		p.evals = slices.Delete(p.evals, i, i+1)
		if j := slices.IndexFunc(p.evals, func(e evalStep) bool { return e.name == later }); j >= 0 {
			p.evals = slices.Insert(p.evals, j+1, e)
		} else {
			p.evals = slices.Insert(p.evals, i, e)
		}
	}
}

// evalStep is one planned evaluation.
type evalStep struct {
	name string
	run  func(r *pipelineRun) error
}

// get reads config values, keeping the first error.
type getter struct {
	c   *config.Config
	err error
}

// read reads one value with a config accessor unless an earlier read failed.
func read[T any](g *getter, key string, get func(string) (T, error)) T {
	var v T
	if g.err == nil {
		v, g.err = get(key)
	}
	return v
}

func (g *getter) str(key string) string    { return read(g, key, g.c.String) }
func (g *getter) optStr(key string) string { return read(g, key, g.c.OptString) }
func (g *getter) float(key string) float64 { return read(g, key, g.c.Float) }
func (g *getter) bool(key string) bool     { return read(g, key, g.c.Bool) }

func (g *getter) int(key string, min int) int {
	n := read(g, key, g.c.Int)
	if g.err == nil && n < min {
		g.err = &config.Error{Key: key, Msg: fmt.Sprintf("%s must be at least %d, got %d", key, min, n)}
	}
	return n
}

// optInt reads an integer that may be null or missing (def).
func (g *getter) optInt(key string, def, min int) int {
	if g.err == nil && g.c.IsNull(key) {
		return def
	}
	return g.int(key, min)
}

func (g *getter) strs(key string) []string {
	s := read(g, key, g.c.Strings)
	if g.err == nil && len(s) == 0 {
		g.err = &config.Error{Key: key, Msg: fmt.Sprintf("%s is empty; it needs at least one value", key)}
	}
	return s
}

// oneOf checks a string value against its valid values.
func (g *getter) oneOf(key, v string, valid ...string) string {
	if g.err == nil && !slices.Contains(valid, v) {
		g.err = &config.Error{Key: key, Msg: fmt.Sprintf("%s=%s: want one of %s%s", key, v, strings.Join(valid, ", "), hint(v, valid))}
	}
	return v
}

func hint(v string, valid []string) string {
	if n := config.Nearest(v, valid); n != "" {
		return fmt.Sprintf(" (did you mean %q?)", n)
	}
	return ""
}

// interventionMethods maps the config's intervention names to Fit's.
var interventionMethods = map[string]string{
	"linear_ot": "linear_ot", "mean_ot": "mean_ot", "gaussian_ot": "gaussian_ot", "aura": "aura",
	"none": "none", "act_add": "actadd", "iti_c": "itic", "exact_ot": "exact_ot",
}

// planPipeline reads and checks everything a run needs, so that a bad
// config fails before any file is written.
func planPipeline(cfg *config.Config, o PipelineOptions) (*pipelinePlan, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	g := &getter{c: cfg}
	p := &pipelinePlan{cfg: cfg, overrides: o.Overrides}
	p.task = g.str("responses.task_params.model_task")
	g.oneOf("task_params.model_task", p.task, "text-generation", "text-to-image-generation")
	if g.err == nil && p.task == "text-to-image-generation" && cfg.Has("responses.model_params.inference_steps") {
		p.imageSteps = g.int("responses.model_params.inference_steps", 1)
	}

	p.modelPath = g.str("responses.model_params.model_path")
	p.modelName = filepath.Base(strings.TrimRight(p.modelPath, "/"))
	p.device = g.oneOf("device", g.str("responses.device"), "auto", "cpu", "cuda")
	if p.task == "text-to-image-generation" && !cfg.Has("responses.model_params.dtype") {
		p.dtype = "as stored" // ml-act's image model configs name none: it loads the fp16 weights
	} else {
		p.dtype = g.str("responses.model_params.dtype")
		p.dtype = g.oneOf("model.dtype", strings.TrimPrefix(p.dtype, "torch."), "float32", "float", "bfloat16", "float16", "half")
	}
	p.seqLen = g.optInt("responses.model_params.seq_len", 0, 1)
	p.patterns = g.strs("responses.model_params.module_names")

	p.dataset = g.str("responses.task_params.dataset")
	p.src = g.strs("responses.task_params.src_subsets")
	p.dst = g.strs("responses.task_params.dst_subsets")
	p.dataDir = g.str("responses.data_dir")
	p.cacheDir = g.str("responses.cache_dir")
	p.intCacheDir = g.str("interventions.cache_dir")
	p.resultsDir = g.str("results_dir")

	p.computeResponses = g.bool("compute_responses")
	p.computeInterventions = g.bool("compute_interventions")
	p.respResume = g.bool("responses.resume")
	p.intResume = g.bool("interventions.resume")
	p.respBatch = g.int("responses.batch_size", 1)
	p.maxBatches = g.optInt("responses.max_batches", 0, 1)
	if g.err == nil && !g.bool("responses.balanced_data") && g.err == nil {
		g.err = &config.Error{Key: "responses.balanced_data", Msg: "responses.balanced_data=false: actsh always draws equally many source and target texts (as ml-act's balanced sampler and its fit do)"}
	}
	g.bool("responses.shuffle")
	p.seed = uint64(g.int("responses.seed", 0))
	p.fitSeed = uint64(g.int("interventions.seed", 0))
	p.pooling = g.oneOf("intervention_params.pooling_op", g.str("responses.intervention_params.pooling_op"), "mean", "max", "min", "median", "last")

	ip := "interventions.intervention_params."
	p.method = g.str(ip + "name")
	g.oneOf("intervention_params.name", p.method, slices.Sorted(maps.Keys(interventionMethods))...)
	p.incremental = g.oneOf("intervention_params.incremental", g.str(ip+"incremental"), "incr", "atonce")
	p.statePath = g.optStr(ip + "state_path")
	p.position = g.oneOf("intervention_params.hook_params.intervention_position", g.str(ip+"hook_params.intervention_position"), "all", "last")
	p.strength = g.float(ip + "hook_params.strength")
	p.support = g.str(ip + "hook_params.quantiles_src")
	if g.err == nil && cfg.Has(ip+"hook_params.beta") {
		p.beta = g.float(ip + "hook_params.beta")
	} else if p.method == "act_add" {
		p.beta = 1
	}
	if g.err != nil {
		return nil, g.err
	}
	if p.method != "none" && !slices.Contains(supports, p.support) {
		return nil, fmt.Errorf("intervention_params.hook_params.quantiles_src=%s: want one of %s%s", p.support, strings.Join(supports, ", "), hint(p.support, supports))
	}
	if p.incremental == "incr" && !p.computeResponses && p.statePath == "" {
		return nil, fmt.Errorf("intervention_params.incremental=incr needs compute_responses=true (each layer's responses are computed with the earlier layers steered)")
	}
	if mode, err := cfg.String("wandb.mode"); err == nil && mode != "disabled" {
		p.wandbMode = mode
	}
	if err := p.planData(); err != nil {
		return nil, err
	}
	if p.statePath != "" {
		if _, err := os.Stat(p.statePath); err != nil {
			return nil, fmt.Errorf("intervention_params.state_path=%s: no such transport file", p.statePath)
		}
	}
	evals, err := cfg.Strings("evaluation")
	if err != nil {
		return nil, err
	}
	for _, name := range evals {
		e, ok := evaluations[name]
		if !ok {
			if why, later := laterEvaluations[name]; later {
				return nil, fmt.Errorf("evaluation %q is not in this version of actsh yet (%s); drop it from evaluation=[...] (available: %s)", name, why, strings.Join(evaluationNames(), ", "))
			}
			return nil, fmt.Errorf("unknown evaluation %q%s (available: %s)", name, hint(name, append(evaluationNames(), laterNames()...)), strings.Join(evaluationNames(), ", "))
		}
		run, err := e(p)
		if err != nil {
			return nil, err
		}
		p.evals = append(p.evals, evalStep{name: name, run: run})
	}
	p.reorder()
	return p, nil
}

var supports = []string{"q_all", "q_0_100", "q_0.5_99.5", "q_1_99", "q_2_98", "q_5_95", "q_10_90", "q_20_80", "q_30_70", "q_40_60"}

// planData finds the task's data file.
func (p *pipelinePlan) planData() error {
	if p.dataset == "truthfulqa" {
		return p.planTruthfulQA()
	}
	switch p.dataset {
	case "json-subsets":
		rel, err := p.cfg.String("responses.task_params.dataset_params.json_path")
		if err != nil {
			return fmt.Errorf("task_params.dataset=json-subsets needs task_params.dataset_params.json_path: %v", err)
		}
		if filepath.IsAbs(rel) {
			p.dataFile = rel
		} else if _, err := os.Stat(rel); err == nil {
			p.dataFile = rel
		} else if _, err := os.Stat(filepath.Join(p.dataDir, rel)); err == nil {
			p.dataFile = filepath.Join(p.dataDir, rel)
		} else if _, err := fs.Stat(configs.FS, rel); err == nil {
			p.dataFile = "builtin:" + rel
		} else {
			return fmt.Errorf("task_params.dataset_params.json_path=%s: not found in the working folder, in data_dir (%s) nor among actsh's built-in data", rel, p.dataDir)
		}
		if !strings.HasPrefix(p.dataFile, "builtin:") {
			if _, err := os.Stat(p.dataFile); err != nil {
				return fmt.Errorf("task_params.dataset_params.json_path=%s: %v", rel, err)
			}
		}
	case "jigsaw":
		p.dataFile = filepath.Join(p.dataDir, "jigsaw", "train.csv")
		if _, err := os.Stat(p.dataFile); err != nil {
			return fmt.Errorf("task_params.dataset=jigsaw reads %s, which is missing: run `actsh download jigsaw` (or set DATA_DIR / data_dir to the folder holding jigsaw/train.csv)", p.dataFile)
		}
	case "onesec", dataset.OneSecFolder:
		// ml-act's get_onesec_dataset reads data_dir/OneSecConcepts-100_1.5.0;
		// the subsets are read now so that a missing folder, concept or
		// file stops the run before anything is written.
		p.dataFile = filepath.Join(p.dataDir, dataset.OneSecFolder)
		if _, err := dataset.ReadOneSec(p.dataFile, append(slices.Clone(p.src), p.dst...)...); err != nil {
			return fmt.Errorf("task_params.dataset=%s (data_dir=%s): %w", p.dataset, p.dataDir, err)
		}
	case "coco-captions-styles", "coco-captions-concepts", "diffusion-prompts":
		return p.planImageData()
	default:
		valid := []string{"json-subsets", "jigsaw", "onesec", "truthfulqa"}
		image := []string{"coco-captions-styles", "coco-captions-concepts", "diffusion-prompts"}
		return fmt.Errorf("task_params.dataset=%s: unknown data set%s (text data sets: %s; image: %s)", p.dataset, hint(p.dataset, append(valid, image...)), strings.Join(valid, ", "), strings.Join(image, ", "))
	}
	return nil
}

// pipelineRun is one run of a plan.
type pipelineRun struct {
	*pipelinePlan
	ctx context.Context
	log io.Writer
	res *PipelineResult

	model         *Model
	image         *ImagePipeline // text-to-image tasks, instead of model
	transport     *Transport
	transportPath string // the transport file, "" for none
	tHash         string // of the transport file, "" for none
}

func (r *pipelineRun) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "pipeline: "+format+"\n", args...)
}

func (r *pipelineRun) run() error {
	if r.wandbMode != "" {
		r.logf("wandb.mode=%s: actsh does not log to Weights & Biases; the results are files in %s", r.wandbMode, r.resultsDir)
	}
	if err := os.MkdirAll(r.resultsDir, 0o755); err != nil {
		return fmt.Errorf("pipeline: results_dir=%s cannot be created (set OUTPUT_DIR or results_dir=DIR): %w", r.resultsDir, err)
	}
	for _, d := range []string{r.cacheDir, r.intCacheDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("pipeline: cache_dir=%s cannot be created (set CACHE_DIR or cache_dir=DIR): %w", d, err)
		}
	}
	if err := r.writeConfig(); err != nil {
		return err
	}
	if err := r.loadModel(); err != nil {
		return err
	}
	if err := r.intervention(); err != nil {
		return err
	}
	for _, e := range r.evals {
		if err := r.ctx.Err(); err != nil {
			return fmt.Errorf("pipeline: interrupted before %s: %w", e.name, err)
		}
		r.logf("evaluation %s", e.name)
		if err := e.run(r); err != nil {
			return err
		}
	}
	r.logf("done: results in %s", r.resultsDir)
	return nil
}

// writeConfig saves the composed config as Hydra does (.hydra/config.yaml
// unresolved, .hydra/overrides.yaml) and resolved (config.yaml).
func (r *pipelineRun) writeConfig() error {
	raw, err := r.cfg.YAML(false)
	if err != nil {
		return err
	}
	resolved, err := r.cfg.YAML(true)
	if err != nil {
		return err
	}
	var ov strings.Builder
	for _, o := range r.overrides {
		b, _ := json.Marshal(o)
		fmt.Fprintf(&ov, "- %s\n", b)
	}
	if len(r.overrides) == 0 {
		ov.WriteString("[]\n")
	}
	for _, f := range []struct{ name, text string }{
		{".hydra/config.yaml", raw}, {".hydra/overrides.yaml", ov.String()}, {"config.yaml", resolved},
	} {
		if err := r.writeResult(f.name, []byte(f.text)); err != nil {
			return err
		}
	}
	return nil
}

// writeResult writes a file under results_dir atomically and records it.
func (r *pipelineRun) writeResult(name string, data []byte) error {
	path := filepath.Join(r.resultsDir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := safetensors.WriteFileAtomic(path, data, 0o644); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	r.addFile(name)
	return nil
}

func (r *pipelineRun) addFile(name string) {
	if !slices.Contains(r.res.Files, name) {
		r.res.Files = append(r.res.Files, name)
	}
}

// loadModel loads the model on the device asked for.
func (r *pipelineRun) loadModel() error {
	_, backend, err := engine.Backend()
	if err != nil {
		return fmt.Errorf("pipeline: device=%s: %w", r.device, err)
	}
	gpu := strings.HasPrefix(backend, "xla:cuda")
	switch {
	case r.device == "cuda" && !gpu:
		return fmt.Errorf("pipeline: device=cuda but actsh runs on backend %q here: set GOMLX_BACKEND=xla:cuda with XLA's CUDA plugin installed, or use device=cpu", backend)
	case r.device == "cpu" && gpu:
		return fmt.Errorf("pipeline: device=cpu but actsh runs on backend %q: set GOMLX_BACKEND=cpu, or use device=cuda", backend)
	}
	r.logf("model %s (%s, dtype %s)", r.modelPath, backend, r.dtype)
	if r.task == "text-to-image-generation" {
		return r.loadImagePipeline()
	}
	m, err := engine.Load(r.ctx, r.modelPath, engine.LoadOptions{})
	if err != nil {
		return fmt.Errorf("pipeline: model.model_path=%s: %w", r.modelPath, err)
	}
	r.model = &Model{m: m}
	return nil
}

// points returns the model's points matching any of the module_names
// patterns, in module order (as ml-act's find_module_names).
func (r *pipelineRun) points() ([]string, error) {
	match, all := func(pat string) ([]string, error) { return nil, nil }, []string(nil)
	if r.image != nil {
		match, all = r.image.p.MatchPoints, r.image.Points()
	} else {
		match, all = r.model.m.MatchPoints, r.model.m.Points()
	}
	seen := map[string]bool{}
	for _, pat := range r.patterns {
		pts, err := match(pat)
		if err != nil {
			return nil, fmt.Errorf("pipeline: model.module_names: %w", err)
		}
		for _, p := range pts {
			seen[p] = true
		}
	}
	var out []string
	for _, p := range all {
		if seen[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// loadData reads the task's data set.
func (r *pipelineRun) loadData() (*Dataset, error) {
	if r.dataset == "truthfulqa" {
		return &Dataset{d: r.tqaFit.dataset()}, nil
	}
	if r.img != nil {
		return &Dataset{d: r.img.fit.Dataset()}, nil
	}
	var d *dataset.Dataset
	var err error
	switch {
	case strings.HasPrefix(r.dataFile, "builtin:"):
		name := strings.TrimPrefix(r.dataFile, "builtin:")
		var data []byte
		if data, err = fs.ReadFile(configs.FS, name); err == nil {
			d, err = dataset.ParseJSONSubsets(name, data)
		}
	case r.dataset == "json-subsets":
		d, err = dataset.ReadJSONSubsets(r.dataFile)
	case r.dataset == "jigsaw":
		d, err = dataset.ReadJigsaw(r.dataFile, append(append([]string(nil), r.src...), r.dst...)...)
	case r.dataset == "onesec" || r.dataset == dataset.OneSecFolder:
		d, err = dataset.ReadOneSec(r.dataFile, append(slices.Clone(r.src), r.dst...)...)
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return &Dataset{d: d}, nil
}

// key hashes values into a short hex fingerprint.
func key(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, _ := json.Marshal(p)
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// fitOptions are the options of the learning step.
func (r *pipelineRun) fitOptions() []Option {
	opts := []Option{Src(r.src...), Dst(r.dst...), Pool(r.pooling), Seed(r.seed), Batch(r.respBatch),
		Position(r.position), withContext(r.ctx)}
	if r.method != "none" {
		opts = append(opts, Support(r.support))
	}
	if r.maxBatches > 0 {
		opts = append(opts, Limit(max(1, r.respBatch*r.maxBatches/2)))
	}
	if r.seqLen > 0 {
		opts = append(opts, Truncate(r.seqLen))
	}
	return opts
}

// intervention learns the transport (or loads it) and copies it into
// results_dir.
func (r *pipelineRun) intervention() error {
	if r.method == "none" {
		r.logf("intervention none: nothing to learn, every strength runs the plain model")
		return nil
	}
	var path string
	switch {
	case r.statePath != "":
		path = r.statePath
		r.logf("intervention from intervention_params.state_path=%s", path)
	default:
		points, err := r.points()
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s-%s-%s", r.incremental, r.method, r.pooling) // ml-act's folder: sorted keys' values
		data := r.dataFile
		if r.dataset == "truthfulqa" { // which questions it learns from (the split's seed is r.seed)
			data += fmt.Sprintf("#fit_fraction=%g", r.tqaFrac)
		}
		respKey := key(r.modelPath, r.dataset, data, r.src, r.dst, r.pooling, r.seed, r.maxBatches, r.respBatch, r.seqLen, points)
		fitKey := key(respKey, r.incremental, r.method, r.support, r.position, r.beta, r.strength, r.fitSeed)
		path = filepath.Join(r.intCacheDir, "interventions", r.modelName, name, r.dataset+"-"+fitKey+".act.safetensors")
		if _, err := os.Stat(path); err == nil && r.intResume {
			r.logf("intervention %s: reusing %s", r.method, path)
			r.res.Skipped = append(r.res.Skipped, "interventions")
			break
		}
		if !r.computeInterventions {
			return fmt.Errorf("pipeline: compute_interventions=false but there is no transport at %s (learn it first, or set intervention_params.state_path)", path)
		}
		t, err := r.learn(points, respKey)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		if err := t.t.Save(path); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		r.logf("intervention %s saved to %s", r.method, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	t, err := transport.Load(path)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	r.transport = &Transport{t: t}
	r.transportPath = path
	r.res.Transport = r.transport
	sum := sha256.Sum256(data)
	r.tHash = hex.EncodeToString(sum[:])
	if err := r.writeResult("transport.act.safetensors", data); err != nil {
		return err
	}
	pipelineEvent("intervention")
	return nil
}

// learn computes the responses (cached, resumable) and fits the transport.
func (r *pipelineRun) learn(points []string, respKey string) (*Transport, error) {
	ds, err := r.loadData()
	if err != nil {
		return nil, err
	}
	opts := r.fitOptions()
	var t *Transport
	err = catch(func() {
		var fw responses.Forwarder
		var req responses.Request
		if r.image != nil {
			var ifw *imageForwarder
			req, ifw = r.image.requestFor("pipeline responses", ds, points, opts)
			fw = ifw
		} else {
			req, fw = r.model.requestFor("pipeline responses", ds, points, opts), r.model.m
		}
		req.Progress = r.log
		req.AfterBatch = func(done, total int) { pipelineEvent("responses") }
		folder := fmt.Sprintf("%s-to-%s-%s-%s", strings.Join(r.src, "+"), strings.Join(r.dst, "+"), r.pooling, respKey)
		req.Cache = filepath.Join(r.cacheDir, "responses", r.modelName, r.dataset, folder)
		fit := func(point string, src, dst [][]float32) (*transport.Map, error) {
			ft := Fit(responsesFrom(responses.FromMatrices(point, src, dst)), interventionMethods[r.method], r.fitArgs()...)
			return ft.t.Maps[point], nil
		}
		if !r.respResume {
			if err := os.RemoveAll(req.Cache); err != nil {
				must(err)
			}
		}
		var raw *transport.Transport
		var err error
		switch r.incremental {
		case "incr":
			req.Cache = filepath.Join(req.Cache, fmt.Sprintf("incr-%s-%s", r.method, key(r.method, r.support, r.position, r.beta, r.strength)))
			r.logf("responses and intervention %s, layer by layer (incr) over %d points; cache %s", r.method, len(points), req.Cache)
			raw, err = responses.Incremental(r.ctx, fw, req, fit, responses.FitOptions{Strength: float32(r.strength), LastOnly: r.position == "last"})
		default:
			if !r.computeResponses {
				var man struct{ Complete bool }
				data, err := os.ReadFile(filepath.Join(req.Cache, "manifest.json"))
				if err != nil || json.Unmarshal(data, &man) != nil || !man.Complete {
					fail("compute_responses=false but no complete responses are cached at %s", req.Cache)
				}
			}
			r.logf("responses of %d points (atonce); cache %s", len(points), req.Cache)
			raw, err = responses.AtOnce(r.ctx, fw, req, fit)
		}
		must(err)
		var family, arch string
		if r.image != nil {
			id := r.image.identity()
			family, arch = id.family, id.arch
		} else {
			info := r.model.m.Info()
			family, arch = info.Family, info.Architecture
		}
		method := interventionMethods[r.method]
		raw.Meta = transport.Meta{Method: method, Model: raw.Meta.Model, Family: family, Architecture: arch,
			Pooling: raw.Meta.Pooling, Dataset: raw.Meta.Dataset, Source: raw.Meta.Source, Target: raw.Meta.Target, Position: r.position}
		if supportMatters(method) {
			raw.Meta.Support = r.support
		}
		t = &Transport{t: raw}
	})
	return t, err
}

// fitArgs are the options of the method's Fit function.
func (r *pipelineRun) fitArgs() []Option {
	opts := []Option{Position(r.position), withContext(r.ctx)}
	if r.method != "none" {
		opts = append(opts, Support(r.support))
	}
	return append(opts, withBeta(r.beta))
}

// catch runs f and returns the *Error it panics with, if any.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	f()
	return nil
}

// PipelineGroups lists the config groups and their options: the built-in
// configs and those of dirs (the first entry, named "", lists the primary
// configs).
func PipelineGroups(dirs ...string) []config.Group {
	return config.Groups(dirs, configs.FS)
}
