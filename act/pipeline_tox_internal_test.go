package act

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// toxKit is testdata/toxicity: a synthetic Jigsaw file, RTP prompts,
// Wikipedia sentences and a (random-weight) judge with labels
// neutral/toxic.
func toxKit(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "testdata", "toxicity"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func readAllCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The toxicity task end to end on the embedded model: Linear-AcT learned
// on the Jigsaw-format file, then the text generation, model_perplexity
// (under the embedded model) and rtp evaluations, with ml-act's files and
// columns; the numbers are checked against the scripting API computing
// the same things.
func TestPipelineToxicity(t *testing.T) {
	kit := toxKit(t)
	d, folders := dirs(t)
	ov := append([]string{"task_params=toxicity", "model=tiny", "data_dir=" + kit, "responses.batch_size=8",
		"text_generation.num_sentences=4", "text_generation.new_seq_len=8", "text_generation.strength_sample_size=2",
		"text_generation.prompt=The man said that",
		"model_perplexity.perplexity_model_path=tiny", "model_perplexity.batch_size=3",
		"rtp.rtp_data=" + filepath.Join(kit, "prompted_gens_gpt2.jsonl"), "rtp.rtp_sentences=5", "rtp.ppl_sentences=7",
		"rtp.toxicity_classifier=" + filepath.Join(kit, "classifier"), "rtp.batch_size=2",
		"intervention_params.hook_params.strength=0.5",
		"evaluation=[text-generation,model_perplexity,rtp]"}, folders...)
	res := runPipeline(t, ov...)
	results := filepath.Join(d, "results")

	// model_perplexity: the input columns plus ppl_tiny, each value
	// Perplexities of prompt+generation (ml-act joins them) at 128 tokens.
	rows := readAllCSV(t, filepath.Join(results, "evaluate_perplexity", "model_perplexity.csv"))
	if got := strings.Join(rows[0], "|"); got != "|strength|prompt|generation|ppl_tiny" {
		t.Fatalf("model_perplexity.csv header %q", got)
	}
	m := Load("tiny")
	var prompts, gens []string
	for _, r := range rows[1:] {
		prompts, gens = append(prompts, r[2]), append(gens, r[3])
	}
	want := m.Perplexities(gens, nil, 0, Prompts(prompts...), Truncate(128))
	for i, r := range rows[1:] {
		got, _ := strconv.ParseFloat(r[4], 64)
		if math.Abs(got-want[i]) > 1e-6*want[i] { // other batches than this call: float rounding
			t.Errorf("row %d ppl %g, want %g", i, got, want[i])
		}
	}

	// rtp: ml-act's three files; the prompts are Python's shuffle of the
	// 12 scored prompts with seed 42.
	var sum map[string]any
	b, err := os.ReadFile(filepath.Join(results, "evaluate_toxicity", "rtp_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rtp_score", "rtp_score_non", "rtp_score_tox", "rtp_prob", "rtp_num_prompts", "rtp_num_completions", "rtp_num_completions_total", "perplexity-wikipedia", "perplexity-wikipedia-std"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("rtp_summary.json has no %s: %s", k, b)
		}
	}
	if sum["rtp_num_prompts"] != 5.0 {
		t.Errorf("rtp_num_prompts %v", sum["rtp_num_prompts"])
	}
	full := readAllCSV(t, filepath.Join(results, "evaluate_toxicity", "rtp_full.csv"))
	if got := strings.Join(full[0], "|"); got != "|generation_idx|prompt|generation|prompt_toxicity|cls_pred|cls_pred_numeric|cls_pred_score" {
		t.Fatalf("rtp_full.csv header %q", got)
	}
	all := ReadRTP(filepath.Join(kit, "prompted_gens_gpt2.jsonl"))
	if len(all) != 12 {
		t.Fatalf("ReadRTP: %d prompts, want the 12 with a score", len(all))
	}
	order := []int{7, 5, 2, 8, 9} // random.seed(42); random.shuffle(list(range(12)))[:5]
	toxic := 0
	c := LoadClassifier(filepath.Join(kit, "classifier"))
	var rtpGens []string
	for i, r := range full[1:] {
		if r[2] != all[order[i]].Text {
			t.Errorf("rtp prompt %d %q, want %q", i, r[2], all[order[i]].Text)
		}
		rtpGens = append(rtpGens, r[3])
		if r[6] == "1" {
			toxic++
		}
	}
	probs := c.Classify(rtpGens)
	for i, p := range probs {
		wantLabel := "neutral"
		if p[1] > p[0] {
			wantLabel = "toxic"
		}
		if full[i+1][5] != wantLabel {
			t.Errorf("rtp row %d label %s, the judge says %v", i, full[i+1][5], p)
		}
	}
	if got := sum["rtp_score"].(float64); math.Abs(got-float64(toxic)/5) > 1e-12 {
		t.Errorf("rtp_score %g, want %d/5", got, toxic)
	}
	// PPL-Wiki: the steered model at the intervention's strength, first
	// 7 Wikipedia rows, 50 tokens.
	wiki, _, err := wikipediaSentences("", kit, 7)
	if err != nil {
		t.Fatal(err)
	}
	wantPPL := m.Perplexity(wiki, res.Transport, 0.5, Truncate(50))
	// 1e-6: the step scores other batches than this call (float rounding).
	if got := sum["perplexity-wikipedia"].(float64); math.Abs(got-wantPPL) > 1e-6*wantPPL {
		t.Errorf("perplexity-wikipedia %g, want %g", got, wantPPL)
	}
	if plain := m.Perplexity(wiki, nil, 0, Truncate(50)); plain == wantPPL {
		t.Errorf("PPL-Wiki of the steered model equals the plain model's (%g): the transport was not applied", plain)
	}
	// A second run skips every evaluation.
	again := runPipeline(t, ov...)
	if got := strings.Join(again.Skipped, ","); got != "interventions,text-generation,model_perplexity,rtp" {
		t.Errorf("second run skipped %s", got)
	}
}

// Bad rtp and model_perplexity settings are one clear error each.
func TestPipelineToxicityErrors(t *testing.T) {
	kit := toxKit(t)
	_, folders := dirs(t)
	base := append([]string{"task_params=toxicity", "model=tiny", "data_dir=" + kit, "responses.batch_size=8",
		"intervention_params=mean_ot", "rtp.rtp_sentences=2", "rtp.ppl_sentences=2",
		"rtp.toxicity_classifier=" + filepath.Join(kit, "classifier")}, folders...)
	for _, tc := range []struct {
		ov   []string
		want string
	}{
		{[]string{"evaluation=[rtp]", "rtp.rtp_data=/nonexistent/rtp.jsonl"}, "actsh download rtp"},
		{[]string{"evaluation=[rtp]", "rtp.rtp_data=" + filepath.Join(kit, "prompted_gens_gpt2.jsonl"), "rtp.toxicity_classifier=tiny"}, "not a sequence classifier"},
		{[]string{"evaluation=[rtp]", "rtp.rtp_data=" + filepath.Join(kit, "prompted_gens_gpt2.jsonl"), "rtp.ppl_data=/nonexistent.csv"}, "rtp.ppl_data"},
		{[]string{"evaluation=[rtp]", "rtp.rtp_data=" + filepath.Join(kit, "prompted_gens_gpt2.jsonl"), "rtp.toxicity_classifier=" + filepath.Join("..", "testdata", "reference", "encoders", "roberta_cls", "checkpoint")}, "this judge has none"},
		{[]string{"evaluation=[model_perplexity]", "model_perplexity.data_path=/nonexistent.csv"}, "no text-generation or rtp evaluation before"},
		{[]string{"evaluation=[model_perplexity]", "model_perplexity.data_path=" + filepath.Join(kit, "wikipedia_sentences.csv")}, "no column \"generation\""},
		{[]string{"evaluation=[model_perplexity]", "model_perplexity.batch_size=0"}, "at least 1"},
	} {
		_, err := RunPipeline(t.Context(), PipelineOptions{Overrides: append(append([]string(nil), base...), tc.ov...), Log: os.Stderr})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one saying %q", tc.ov, err, tc.want)
		}
	}
}

// The rtp step killed (SIGKILL) after its perplexity or during its
// generation resumes where it stopped and ends with the files of an
// uninterrupted run.
func TestPipelineToxicityKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline in child processes")
	}
	kit := toxKit(t)
	base := []string{"task_params=toxicity", "model=tiny", "data_dir=" + kit, "responses.batch_size=8",
		"intervention_params=mean_ot", "intervention_params.incremental=atonce",
		"rtp.rtp_data=" + filepath.Join(kit, "prompted_gens_gpt2.jsonl"), "rtp.rtp_sentences=6", "rtp.ppl_sentences=7",
		"rtp.toxicity_classifier=" + filepath.Join(kit, "classifier"), "rtp.batch_size=2", "evaluation=[rtp]"}
	files := []string{"evaluate_toxicity/rtp_full.csv", "evaluate_toxicity/rtp_per_prompt.csv", "evaluate_toxicity/rtp_summary.json"}
	ref, folders := dirs(t)
	runPipeline(t, append(append([]string(nil), base...), folders...)...)
	want := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(ref, "results", f))
		if err != nil {
			t.Fatal(err)
		}
		want[f] = b
	}
	for _, k := range []struct {
		event string
		n     int
		rest  map[string]int
	}{
		{"rtp-ppl", 1, map[string]int{"intervention": 1, "rtp": 3}},
		{"rtp", 2, map[string]int{"intervention": 1, "rtp": 1}},
	} {
		d, folders := dirs(t)
		ov := append(append([]string(nil), base...), folders...)
		spec, _ := json.Marshal(childSpec{Overrides: ov, KillAt: k.event, KillN: k.n})
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec), "GOMLX_NO_AUTO_INSTALL=1")
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("kill at %s #%d: the child was not killed: %v", k.event, k.n, err)
		}
		spec, _ = json.Marshal(childSpec{Overrides: ov})
		cmd = exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec), "GOMLX_NO_AUTO_INSTALL=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("resumed after a kill at %s #%d: %v\n%s", k.event, k.n, err, out)
		}
		var rest map[string]int
		if err := json.Unmarshal(out, &rest); err != nil || len(rest) != len(k.rest) {
			t.Errorf("killed at %s #%d: the resumed run's events %s, want %v", k.event, k.n, out, k.rest)
		}
		for e, n := range k.rest {
			if rest[e] != n {
				t.Errorf("killed at %s #%d: the resumed run did %d %s steps, want %d", k.event, k.n, rest[e], e, n)
			}
		}
		for _, f := range files {
			got, err := os.ReadFile(filepath.Join(d, "results", f))
			if err != nil || !bytes.Equal(got, want[f]) {
				t.Errorf("killed at %s #%d: %s differs from the uninterrupted run's (%v)", k.event, k.n, f, err)
			}
		}
		if left, _ := filepath.Glob(filepath.Join(d, "results", "*", "*.partial")); len(left) > 0 {
			t.Errorf("killed at %s #%d: left %v", k.event, k.n, left)
		}
	}
}
