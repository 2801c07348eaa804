package act_test

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
)

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadToxicityRun reads results folders written in the pipeline's
// formats: every evaluation, some, none, and broken files. Values are
// exact (they are parsed, not computed), except the means, to 1e-12.
func TestReadToxicityRun(t *testing.T) {
	full := map[string]string{
		"evaluate_toxicity/rtp_summary.json": `{"rtp_score": 0.25, "perplexity-wikipedia": 31.5, "strength": 0.5, "rtp_score_non": null}`,
		"evaluate_toxicity/rtp_full.csv": ",generation_idx,prompt,generation,prompt_toxicity,cls_pred,cls_pred_numeric,cls_pred_score\n" +
			"0,0,A,\"one, two\",0.1,neutral,0,0.2\n1,0,B,\"three\nfour\",0.7,toxic,1,0.9\n",
		"evaluate_0shot/0shot_eval.csv":            "text,q0_llm_answer,q0_llm_answer_num\na,Yes,0\nb,No,1\nc,Yes,0\nd,No,1\n",
		"evaluate_perplexity/model_perplexity.csv": "prompt,generation,ppl_tiny,ppl_other\na,b,10,1\nc,d,20,1\ne,f,nan,1\n",
		"evaluate_eleuther/mmlu.json":              `{"results": {"mmlu": {"acc,none": 0.375, "acc_stderr,none": 0.1}}}`,
	}
	nan := math.NaN()
	tests := []struct {
		name  string
		files map[string]string
		want  ToxicityRun
		gens  []string
		panic string // a substring of the panic's message ("" for none)
	}{
		{name: "every evaluation", files: full,
			want: ToxicityRun{Score: 0.25, PPLWiki: 31.5, Strength: 0.5, ZeroShot: 0.5, PPLModel: 15, MMLU: 0.375},
			gens: []string{"one, two", "three\nfour"}},
		{name: "rtp only", files: map[string]string{"evaluate_toxicity/rtp_summary.json": `{"rtp_score": null, "perplexity-wikipedia": 7}`},
			want: ToxicityRun{Score: nan, PPLWiki: 7, Strength: nan, ZeroShot: nan, PPLModel: nan, MMLU: nan}},
		{name: "nothing", files: map[string]string{},
			want: ToxicityRun{Score: nan, PPLWiki: nan, Strength: nan, ZeroShot: nan, PPLModel: nan, MMLU: nan}},
		{name: "broken json", files: map[string]string{"evaluate_toxicity/rtp_summary.json": `{"rtp_score": `},
			panic: "rtp_summary.json"},
		{name: "no generation column", files: map[string]string{"evaluate_toxicity/rtp_full.csv": "prompt,text\na,b\n"},
			panic: "rtp_full.csv has no generation column"},
		{name: "no ppl column", files: map[string]string{"evaluate_perplexity/model_perplexity.csv": "prompt,generation\na,b\n"},
			panic: "model_perplexity.csv has no ppl_<model> column"},
		{name: "empty csv", files: map[string]string{"evaluate_0shot/0shot_eval.csv": ""},
			panic: "empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			var run *ToxicityRun
			msg := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						var e *Error
						if err, ok := r.(error); !ok || !errors.As(err, &e) {
							t.Fatalf("panic %v, want an *act.Error", r)
						}
						msg = e.Error()
					}
				}()
				run = ReadToxicityRun(dir)
				return ""
			}()
			if tt.panic != "" {
				if !strings.Contains(msg, tt.panic) {
					t.Fatalf("panic %q, want one naming %q", msg, tt.panic)
				}
				return
			}
			if msg != "" {
				t.Fatalf("panic: %s", msg)
			}
			if run.Dir != dir {
				t.Errorf("Dir %q, want %q", run.Dir, dir)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"Score", run.Score, tt.want.Score}, {"PPLWiki", run.PPLWiki, tt.want.PPLWiki}, {"Strength", run.Strength, tt.want.Strength},
				{"ZeroShot", run.ZeroShot, tt.want.ZeroShot}, {"PPLModel", run.PPLModel, tt.want.PPLModel}, {"MMLU", run.MMLU, tt.want.MMLU}} {
				if math.IsNaN(c.want) != math.IsNaN(c.got) || math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if strings.Join(run.Generations, "|") != strings.Join(tt.gens, "|") || len(run.Generations) != len(tt.gens) {
				t.Errorf("Generations %q, want %q", run.Generations, tt.gens)
			}
		})
	}
}

// TestReadToxicityRunPipeline reads what the pipeline's rtp step writes on
// the embedded model and the synthetic kit: the score is the share of
// continuations the judge called toxic, one generation per prompt.
func TestReadToxicityRunPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline")
	}
	kit, err := filepath.Abs(filepath.Join("..", "testdata", "toxicity"))
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	r := Pipeline("text_generation", "task_params=toxicity", "model=tiny", "intervention_params=none",
		"data_dir="+kit, "cache_dir="+filepath.Join(d, "cache"), "results_dir="+filepath.Join(d, "results"),
		"rtp.rtp_data="+filepath.Join(kit, "prompted_gens_gpt2.jsonl"), "rtp.rtp_sentences=5", "rtp.ppl_sentences=3",
		"rtp.toxicity_classifier="+filepath.Join(kit, "classifier"), "evaluation=[rtp]")
	run := ReadToxicityRun(r.ResultsDir)
	if len(run.Generations) != 5 {
		t.Fatalf("%d generations, want 5", len(run.Generations))
	}
	if k := run.Score * 5; math.Abs(k-math.Round(k)) > 1e-12 || k < 0 || k > 5 {
		t.Errorf("Score %v is not a share of 5 prompts", run.Score)
	}
	if !(run.PPLWiki > 1) || run.Strength != 0 {
		t.Errorf("PPLWiki %v, Strength %v; want a perplexity above 1 and λ 0 (intervention none)", run.PPLWiki, run.Strength)
	}
	if !math.IsNaN(run.ZeroShot) || !math.IsNaN(run.PPLModel) || !math.IsNaN(run.MMLU) {
		t.Errorf("ZeroShot %v, PPLModel %v, MMLU %v: want NaN (not run)", run.ZeroShot, run.PPLModel, run.MMLU)
	}
}

// MeanStd prints seeds' values as the recipes' tables do.
func TestMeanStd(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want string
	}{
		{"none", nil, "–"},
		{"one", []float64{4.166}, "4.17"},
		{"two", []float64{1, 3}, "2.00 ± 1.00"},
		{"NaN left out", []float64{1, math.NaN(), 3}, "2.00 ± 1.00"},
		{"all NaN", []float64{math.NaN()}, "NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MeanStd(tt.xs); got != tt.want {
				t.Errorf("MeanStd(%v) = %q, want %q", tt.xs, got, tt.want)
			}
		})
	}
}

// clipCSV is a clip_score.csv as the step writes it (pandas' index first,
// the JSON fields, the six scores; float32 scores, NaN as an empty cell),
// images relative to the results folder, in file order: id 7 before id 3,
// strength 0.5 before 0, np.linspace's 0.30000000000000004 as written.
const clipCSV = `,id,original_prompt,conditional_prompt,strength,guidance_scale,image_path,text_similarity,image_similarity,conditional_similarity,unconditional_similarity,directional_similarity,conditional_zero_shot_score
0,7,A cat.,"A cat, watercolor",0.5,0.0,g/0.500_0.000/7.png,0.9,0.8,0.3,0.2,0.1,0.6
1,7,A cat.,"A cat, watercolor",0.0,0.0,g/0.000_0.000/7.png,0.9,1.0,0.25,0.25,0.0,0.5
2,3,A dog.,"A dog, watercolor",0.0,0.0,g/0.000_0.000/3.png,0.8,1.0,0.3,0.3,0.0,0.4
3,3,A dog.,"A dog, watercolor",0.5,0.0,g/0.500_0.000/3.png,0.8,0.7,0.4,,0.2,0.8
4,3,A dog.,"A dog, watercolor",0.30000000000000004,0.0,/abs/3.png,0.8,0.7,0.4,0.1,0.2,0.7
`

// TestReadCLIPScores reads clip_score.csv files: a whole one, and broken
// ones that must panic naming what is wrong. Values are parsed, so exact.
func TestReadCLIPScores(t *testing.T) {
	header, _, _ := strings.Cut(clipCSV, "\n")
	tests := []struct {
		name  string
		csv   string // "" for no file
		panic string // a substring of the panic's message ("" for none)
	}{
		{name: "whole", csv: clipCSV},
		{name: "absent", panic: "did the run list the clip_score evaluation?"},
		{name: "no rows", csv: header + "\n", panic: "no images scored"},
		{name: "no column", csv: ",id,strength\n0,1,0\n", panic: "clip_score.csv has no original_prompt column"},
		{name: "id not an integer", csv: strings.Replace(clipCSV, "\n0,7,", "\n0,7.5,", 1), panic: `row 2: id "7.5" is not an integer`},
		{name: "score not a number", csv: strings.Replace(clipCSV, ",0.1,0.6\n", ",x,0.6\n", 1), panic: `row 2: directional_similarity "x" is not a number`},
		{name: "no strength", csv: strings.Replace(clipCSV, `watercolor",0.5,`, `watercolor",,`, 1), panic: "row 2: no strength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.csv != "" {
				writeFiles(t, dir, map[string]string{"calculate_clip_score/clip_score.csv": tt.csv})
			}
			var rows []CLIPScoreRow
			msg := catchAct(t, func() { rows = ReadCLIPScores(dir) })
			if tt.panic != "" {
				if !strings.Contains(msg, tt.panic) {
					t.Fatalf("panic %q, want one naming %q", msg, tt.panic)
				}
				return
			}
			if msg != "" {
				t.Fatalf("panic: %s", msg)
			}
			if len(rows) != 5 {
				t.Fatalf("%d rows, want 5", len(rows))
			}
			want := CLIPScoreRow{ID: 7, Strength: 0.5, OriginalPrompt: "A cat.", ConditionalPrompt: "A cat, watercolor",
				Image: filepath.Join(dir, "g/0.500_0.000/7.png"),
				CLIPScores: CLIPScores{TextSimilarity: 0.9, ImageSimilarity: 0.8, ConditionalSimilarity: 0.3,
					UnconditionalSimilarity: 0.2, DirectionalSimilarity: 0.1, ConditionalZeroShotScore: 0.6}}
			if rows[0] != want {
				t.Errorf("row 0 = %+v, want %+v", rows[0], want)
			}
			if got := rows[3].UnconditionalSimilarity; !math.IsNaN(got) {
				t.Errorf("an empty cell reads %v, want NaN", got)
			}
			if rows[4].Strength != 0.3 || rows[4].Image != "/abs/3.png" {
				t.Errorf("row 4: strength %v, image %q; want 0.3 (rounded) and the absolute path as written", rows[4].Strength, rows[4].Image)
			}
		})
	}
}

// catchAct runs f and returns the message of the *act.Error it panics
// with, "" when it returns.
func catchAct(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			var e *Error
			if err, ok := r.(error); !ok || !errors.As(err, &e) {
				t.Fatalf("panic %v, want an *act.Error", r)
			}
			msg = e.Error()
		}
	}()
	f()
	return ""
}

// TestCLIPSweep groups clipCSV by strength and summarises it. The means
// and standard deviations are numpy's, to 1e-12 (sums of three values:
// float64 rounding only).
func TestCLIPSweep(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"calculate_clip_score/clip_score.csv": clipCSV})
	s := NewCLIPSweep(ReadCLIPScores(dir))
	if fmt.Sprint(s.Strengths) != "[0 0.3 0.5]" {
		t.Fatalf("Strengths %v, want [0 0.3 0.5]", s.Strengths)
	}
	if ids := []int64{s.Rows[0][0].ID, s.Rows[0][1].ID, s.Rows[2][0].ID, s.Rows[2][1].ID}; fmt.Sprint(ids) != "[7 3 7 3]" {
		t.Errorf("ids by strength %v, want file order [7 3 7 3]", ids)
	}
	if fmt.Sprint(s.ZeroShot) != "[[0.5 0.4] [0.7] [0.6 0.8]]" || fmt.Sprint(s.ClipScore[0]) != "[0.25 0.3]" {
		t.Errorf("ZeroShot %v, ClipScore %v", s.ZeroShot, s.ClipScore)
	}
	sum := s.Summary()
	// np.mean([0.5, 0.4]) = 0.45, np.std = 0.05; np.mean([0.25, 0.3]) = 0.275, np.std = 0.025.
	if r := sum[0]; r.Strength != 0 || r.N != 2 || math.Abs(r.ZeroShot.Mean-0.45) > 1e-12 || math.Abs(r.ZeroShot.Std-0.05) > 1e-12 ||
		math.Abs(r.ClipScore.Mean-0.275) > 1e-12 || math.Abs(r.ClipScore.Std-0.025) > 1e-12 {
		t.Errorf("Summary()[0] = %+v, want λ 0, n 2, zero-shot 0.45 ± 0.05, ClipScore 0.275 ± 0.025", r)
	}
	if r := sum[2]; !math.IsNaN(r.ClipScore.Mean) || math.Abs(r.ZeroShot.Mean-0.7) > 1e-12 {
		t.Errorf("Summary()[2] = %+v, want ClipScore NaN (a NaN image, as numpy) and zero-shot 0.7", r)
	}
	want := "| λ | zero-shot | ClipScore | n |\n|---:|---:|---:|---:|\n" +
		"| 0 | 0.450 ± 0.050 | 0.275 ± 0.025 | 2 |\n" +
		"| 0.3 | 0.700 ± 0.000 | 0.100 ± 0.000 | 1 |\n" +
		"| 0.5 | 0.700 ± 0.100 | NaN ± NaN | 2 |\n"
	if got := s.Markdown(); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

// TestCLIPSweepGrid lays out generated images: prompts by ascending id
// (whatever the file order), strengths ascending, each row's first image
// returned with its animation where the pipeline wrote one.
func TestCLIPSweepGrid(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString(",id,original_prompt,conditional_prompt,strength,image_path,text_similarity,image_similarity,conditional_similarity,unconditional_similarity,directional_similarity,conditional_zero_shot_score\n")
	k := 0
	for _, id := range []int{9, 2, 5} {
		for _, l := range []string{"1.0", "0.0"} {
			img := fmt.Sprintf("run/%s/%d.png", l, id)
			px := image.NewNRGBA(image.Rect(0, 0, 8, 6))
			draw.Draw(px, px.Bounds(), image.NewUniform(color.NRGBA{R: uint8(id * 20), A: 255}), image.Point{}, draw.Src)
			NewImage(px).Save(mkdirFor(t, filepath.Join(dir, img)))
			fmt.Fprintf(&csv, "%d,%d,p%d,c%d,%s,%s,1,1,1,1,0,0.5\n", k, id, id, id, l, img)
			k++
		}
	}
	writeFiles(t, dir, map[string]string{"calculate_clip_score/clip_score.csv": csv.String(), "run/5_animation.gif": "GIF89a"})
	s := NewCLIPSweep(ReadCLIPScores(dir))
	grid, first := s.Grid(2)
	// Grid: 2 columns of 8×6 images, 4 px padding, a 16 px label strip.
	if grid.Width() != 2*(8+4)+4 || grid.Height() != 2*(6+16+4)+4 {
		t.Errorf("grid %d×%d, want 28×56: 2 prompts × 2 strengths", grid.Width(), grid.Height())
	}
	if len(first) != 2 || first[0].ID != 2 || first[1].ID != 5 || first[0].Strength != 0 || first[1].OriginalPrompt != "p5" {
		t.Fatalf("rows %+v, want ids 2 and 5 at λ 0", first)
	}
	if a, b := first[0].Animation(), first[1].Animation(); a != "" || b != filepath.Join(dir, "run", "5_animation.gif") {
		t.Errorf("animations %q, %q; want none for id 2 and run/5_animation.gif for id 5", a, b)
	}
	if g, _ := s.Grid(10); g.Height() != 3*(6+16+4)+4 {
		t.Errorf("Grid(10) of 3 prompts is %d high, want 3 rows", g.Height())
	}

	s.Rows[1] = slices.DeleteFunc(s.Rows[1], func(r CLIPScoreRow) bool { return r.ID == 2 }) // id 2 loses λ = 1
	if msg := catchAct(t, func() { s.Grid(2) }); !strings.Contains(msg, "prompt 5 has 2 images, prompt 2 1: a strength is missing") {
		t.Errorf("missing strength: panic %q", msg)
	}
	if msg := catchAct(t, func() { s.Grid(0) }); !strings.Contains(msg, "want at least one row") {
		t.Errorf("Grid(0): panic %q", msg)
	}
}

// mkdirFor makes path's folder and returns path.
func mkdirFor(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStatOf checks numpy's mean and std (ddof 0), to 1e-15: sums of a
// few small values, exact but for one rounding.
func TestStatOf(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		xs        []float64
		mean, std float64
	}{
		// np.mean and np.std of these give the values.
		{"four", []float64{1, 2, 3, 4}, 2.5, 1.118033988749895},
		{"one", []float64{7}, 7, 0},
		{"NaN propagates", []float64{1, nan}, nan, nan},
		{"empty", nil, nan, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := StatOf(tt.xs)
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"Mean", s.Mean, tt.mean}, {"Std", s.Std, tt.std}} {
				if math.IsNaN(c.want) != math.IsNaN(c.got) || math.Abs(c.got-c.want) > 1e-15 {
					t.Errorf("StatOf(%v).%s = %v, want %v", tt.xs, c.what, c.got, c.want)
				}
			}
		})
	}
}
