package act

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/actsh/actsh/act/transport"
)

// childEnv makes the test binary run one pipeline (and maybe kill itself)
// instead of the tests: see TestPipelineKillResume.
const childEnv = "ACTSH_TEST_PIPELINE_CHILD"

type childSpec struct {
	Overrides []string
	KillAt    string // event name
	KillN     int    // at its n-th occurrence
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		var s childSpec
		if err := json.Unmarshal([]byte(spec), &s); err != nil {
			panic(err)
		}
		n := 0
		counts := map[string]int{}
		pipelineEvent = func(event string) {
			counts[event]++
			if event == s.KillAt {
				if n++; n == s.KillN {
					syscall.Kill(os.Getpid(), syscall.SIGKILL) // no cleanup, as a crash or kill -9
				}
			}
		}
		if _, err := RunPipeline(context.Background(), PipelineOptions{Overrides: s.Overrides, Log: io.Discard}); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(counts)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// readme is ml-act's README text-generation example, word for word, plus
// the model and the folders.
var readme = []string{
	"task_params=giraffes", "responses.batch_size=20", "responses.max_batches=1", "wandb.mode=disabled",
	"text_generation.num_sentences=10", "text_generation.new_seq_len=48", "text_generation.strength_sample_size=3",
	"intervention_params.incremental=atonce", "device=cpu", "model.dtype=float32",
}

func dirs(t *testing.T) (string, []string) {
	d := t.TempDir()
	return d, []string{"results_dir=" + filepath.Join(d, "results"), "cache_dir=" + filepath.Join(d, "cache")}
}

func runPipeline(t *testing.T, overrides ...string) *PipelineResult {
	t.Helper()
	res, err := RunPipeline(context.Background(), PipelineOptions{Overrides: overrides, Log: io.Discard})
	if err != nil {
		t.Fatalf("pipeline %v: %v", overrides, err)
	}
	return res
}

// readCSV reads text_generation.csv as ml-act writes it (pandas: an
// unnamed index column, then strength, prompt, generation).
func readCSV(t *testing.T, results string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(results, "generate_with_hooks", "text_generation.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], "|") != "|strength|prompt|generation" {
		t.Fatalf("header %q", rows[0])
	}
	return rows[1:]
}

// ml-act's README example on the embedded model and on a local checkpoint
// folder: responses, the transport and the CSV at 3 strengths; λ = 0 is the
// plain model with the same seeds.
func TestPipelineReadmeExample(t *testing.T) {
	wd, _ := os.Getwd()
	for _, model := range [][]string{{"model=tiny"}, {"model=gpt2", "model.model_path=" + filepath.Join(wd, "..", "tiny", "data", "model")}} {
		t.Run(strings.Join(model, " "), func(t *testing.T) {
			d, folders := dirs(t)
			res := runPipeline(t, append(append(append([]string(nil), readme...), model...), folders...)...)
			results := filepath.Join(d, "results")
			for _, f := range []string{".hydra/config.yaml", ".hydra/overrides.yaml", "config.yaml", "transport.act.safetensors", "generate_with_hooks/text_generation.csv"} {
				if _, err := os.Stat(filepath.Join(results, f)); err != nil || !slices.Contains(res.Files, f) {
					t.Errorf("result %s: %v (files %v)", f, err, res.Files)
				}
			}
			manifests, _ := filepath.Glob(filepath.Join(d, "cache", "responses", "*", "json-subsets", "*", "manifest.json"))
			if len(manifests) != 1 {
				t.Errorf("responses cache: %v", manifests)
			}
			tr, err := transport.Load(filepath.Join(results, "transport.act.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			// Every layer norm: ln_1 and ln_2 of each layer, and ln_f.
			lns := 2*Load("tiny").Engine().Info().NumLayers + 1
			if tr.Meta.Method != "linear_ot" || tr.Meta.Support != "q_0_100" || tr.Meta.Source != "none" || tr.Meta.Target != "giraffe" || len(tr.Points) != lns {
				t.Errorf("transport meta %+v, %d points", tr.Meta, len(tr.Points))
			}
			if res.Transport == nil || strings.Join(res.Transport.Points(), " ") != strings.Join(tr.Points, " ") {
				t.Errorf("result transport %v; the file has %v", res.Transport, tr.Points)
			}
			rows := readCSV(t, results)
			if len(rows) != 30 {
				t.Fatalf("%d rows, want 10 sentences × 3 strengths", len(rows))
			}
			for i, r := range rows {
				want := []string{"0.0", "0.5", "1.0"}[i/10]
				if r[0] != itoa(i) || r[1] != want || r[2] != "Once upon a time" {
					t.Errorf("row %d = %q", i, r)
				}
			}
			// λ = 0 is the unsteered model sampled with the batch's seed (seed 42, strength 0, batch 0).
			m := Load(modelPath(model))
			prompts := make([]string, 10)
			for i := range prompts {
				prompts[i] = "Once upon a time"
			}
			plain := m.GenerateBatch(prompts, nil, 0, MaxTokens(48), Sample(1, 0.3), RepetitionPenalty(1.2), Seed(batchSeed(42, 0, 0)))
			for i, p := range plain {
				if want := strings.ReplaceAll(prompts[i]+p, prompts[i], ""); rows[i][3] != want {
					t.Errorf("λ=0 row %d = %q; the plain model gives %q", i, rows[i][3], want)
				}
			}
			if rows[0][3] == rows[20][3] && rows[1][3] == rows[21][3] && rows[2][3] == rows[22][3] {
				t.Errorf("λ=1 rows equal λ=0 rows: the transport did nothing")
			}
			// A second run reuses everything.
			again := runPipeline(t, append(append(append([]string(nil), readme...), model...), folders...)...)
			if strings.Join(again.Skipped, ",") != "interventions,text-generation" {
				t.Errorf("second run skipped %v", again.Skipped)
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// modelPath is the model the overrides name.
func modelPath(model []string) string {
	if len(model) == 2 {
		return strings.TrimPrefix(model[1], "model.model_path=")
	}
	return "tiny"
}

// The other interventions, and incremental learning.
func TestPipelineInterventions(t *testing.T) {
	for _, tc := range []struct {
		overrides []string
		method    string
		support   string
	}{
		{[]string{"intervention_params=mean_ot", "intervention_params.incremental=atonce"}, "mean_ot", "q_all"},
		{[]string{"intervention_params=aura"}, "aura", ""},
		{[]string{"intervention_params=act_add", "intervention_params.hook_params.beta=2"}, "actadd", ""},
		{[]string{"intervention_params=iti_c"}, "itic", ""},
		{[]string{"intervention_params.incremental=incr"}, "linear_ot", "q_0_100"},
	} {
		t.Run(tc.method+"-"+strings.Join(tc.overrides, " "), func(t *testing.T) {
			d, folders := dirs(t)
			ov := append(append([]string{"task_params=giraffes", "model=tiny", "text_generation.num_sentences=4",
				"text_generation.new_seq_len=8", "text_generation.strength_sample_size=3", "responses.batch_size=8"}, tc.overrides...), folders...)
			runPipeline(t, ov...)
			tr, err := transport.Load(filepath.Join(d, "results", "transport.act.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if tr.Meta.Method != tc.method || tr.Meta.Support != tc.support {
				t.Errorf("transport method %q support %q; want %q %q", tr.Meta.Method, tr.Meta.Support, tc.method, tc.support)
			}
			if rows := readCSV(t, filepath.Join(d, "results")); len(rows) != 12 {
				t.Errorf("%d rows; want 4 × 3", len(rows))
			}
			if tc.method == "actadd" {
				// beta=2 doubles ActAdd's vector: compare with a fit at beta 1.
				ref := FitActAdd(Load("tiny").Responses(JSONSubsetsBuiltin(t), ".+ln_.+", Src("none"), Dst("giraffe"), Seed(42), Batch(8), Truncate(64)), 1)
				p := tr.Points[0]
				_, rb, _, _ := ref.Map(p)
				if b := tr.Maps[p].B; len(b) != len(rb) || b[0]-2*rb[0] > 1e-4 || b[0]-2*rb[0] < -1e-4 {
					t.Errorf("%s: b[0] = %g; want 2 × %g", p, b[0], rb[0])
				}
			}
			if tc.overrides[0] == "intervention_params.incremental=incr" {
				subs, _ := filepath.Glob(filepath.Join(d, "cache", "responses", "tiny", "json-subsets", "*", "incr-*", "0*-*"))
				if len(subs) != 2*Load("tiny").Engine().Info().NumLayers+1 { // one per layer norm
					t.Errorf("incremental caches per point: %v", subs)
				}
			}
		})
	}
}

// JSONSubsetsBuiltin is the giraffes data set the task config names.
func JSONSubsetsBuiltin(t *testing.T) *Dataset {
	r := &pipelineRun{pipelinePlan: &pipelinePlan{dataset: "json-subsets", dataFile: "builtin:data/giraffes.json"}}
	ds, err := r.loadData()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// A pipeline killed (SIGKILL) during the responses, after the intervention
// and during generation continues where it stopped, and its outputs equal
// those of a run never interrupted.
func TestPipelineKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline in child processes")
	}
	base := []string{"task_params=giraffes", "model=tiny", "responses.batch_size=4", "text_generation.num_sentences=6",
		"text_generation.batch_size=2", "text_generation.new_seq_len=10", "text_generation.strength_sample_size=3"}
	outputs := func(d string) map[string][]byte {
		out := map[string][]byte{}
		for _, f := range []string{"transport.act.safetensors", "generate_with_hooks/text_generation.csv", "config.yaml"} {
			b, err := os.ReadFile(filepath.Join(d, "results", f))
			if err != nil {
				t.Fatal(err)
			}
			out[f] = bytes.ReplaceAll(b, []byte(d), []byte("DIR"))
		}
		return out
	}
	for _, mode := range []string{"atonce", "incr"} {
		ref, folders := dirs(t)
		runPipeline(t, append(append(append([]string(nil), base...), "intervention_params.incremental="+mode), folders...)...)
		want := outputs(ref)
		// Uninterrupted: 10 response batches (40 texts by 4; incr: per point,
		// one point per layer norm), 1 intervention, 9 generation batches (3
		// strengths × 3).
		points := 2*Load("tiny").Engine().Info().NumLayers + 1
		type kill struct {
			event string
			n     int
			rest  map[string]int // events of the resumed run
		}
		kills := []kill{
			{"responses", 3, map[string]int{"responses": 7, "intervention": 1, "generation": 9}},
			{"intervention", 1, map[string]int{"intervention": 1, "generation": 9}},
			{"generation", 2, map[string]int{"intervention": 1, "generation": 7}},
			{"generation", 8, map[string]int{"intervention": 1, "generation": 1}},
		}
		if mode == "incr" {
			kills[0].rest["responses"] = 10*points - 3
			// the second point's responses, with the first point's map fitted
			kills = append(kills, kill{"responses", 13, map[string]int{"responses": 10*points - 13, "intervention": 1, "generation": 9}})
		}
		for _, k := range kills {
			d, folders := dirs(t)
			ov := append(append(append([]string(nil), base...), "intervention_params.incremental="+mode), folders...)
			spec, _ := json.Marshal(childSpec{Overrides: ov, KillAt: k.event, KillN: k.n})
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+string(spec), "GOMLX_NO_AUTO_INSTALL=1")
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("%s kill at %s #%d: the child was not killed: %v", mode, k.event, k.n, err)
			}
			spec, _ = json.Marshal(childSpec{Overrides: ov})
			cmd = exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+string(spec), "GOMLX_NO_AUTO_INSTALL=1")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s resumed after a kill at %s #%d: %v\n%s", mode, k.event, k.n, err, out)
			}
			var rest map[string]int
			if err := json.Unmarshal(out, &rest); err != nil || len(rest) != len(k.rest) {
				t.Errorf("%s killed at %s #%d: the resumed run's events %s, want %v", mode, k.event, k.n, out, k.rest)
			}
			for e, n := range k.rest {
				if rest[e] != n {
					t.Errorf("%s killed at %s #%d: the resumed run did %d %s steps, want %d (it must continue, not restart)", mode, k.event, k.n, rest[e], e, n)
				}
			}
			got := outputs(d)
			for f, w := range want {
				if !bytes.Equal(got[f], w) {
					t.Errorf("%s, killed at %s #%d: %s differs from the uninterrupted run's", mode, k.event, k.n, f)
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(d, "results", "*", "*.partial"))
			tmps, _ := filepath.Glob(filepath.Join(d, "results", "*.tmp*"))
			if len(leftovers)+len(tmps) > 0 {
				t.Errorf("%s killed at %s #%d: left %v %v", mode, k.event, k.n, leftovers, tmps)
			}
		}
	}
}
