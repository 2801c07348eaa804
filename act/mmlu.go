package act

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/actsh/actsh/internal/progress"
)

// This file holds MMLU (Hendrycks et al., "Measuring Massive Multitask
// Language Understanding"), the benchmark ml-act runs through
// lm-evaluation-harness to show that steering leaves a model's knowledge
// intact: the questions as the original release publishes them, the
// prompts as the harness's mmlu task writes them, and the scoring and
// aggregation the harness applies.

// mmluCategories groups the 57 subjects into the four categories the
// harness reports (its mmlu_stem, mmlu_other, mmlu_social_sciences and
// mmlu_humanities groups), in the order the harness lists them.
var mmluCategories = []mmluCategory{
	{"stem", strings.Fields(`abstract_algebra anatomy astronomy college_biology
		college_chemistry college_computer_science college_mathematics college_physics
		computer_security conceptual_physics electrical_engineering elementary_mathematics
		high_school_biology high_school_chemistry high_school_computer_science
		high_school_mathematics high_school_physics high_school_statistics machine_learning`)},
	{"other", strings.Fields(`business_ethics clinical_knowledge college_medicine
		global_facts human_aging management marketing medical_genetics miscellaneous
		nutrition professional_accounting professional_medicine virology`)},
	{"social_sciences", strings.Fields(`econometrics high_school_geography
		high_school_government_and_politics high_school_macroeconomics
		high_school_microeconomics high_school_psychology human_sexuality
		professional_psychology public_relations security_studies sociology
		us_foreign_policy`)},
	{"humanities", strings.Fields(`formal_logic high_school_european_history
		high_school_us_history high_school_world_history international_law jurisprudence
		logical_fallacies moral_disputes moral_scenarios philosophy prehistory
		professional_law world_religions`)},
}

type mmluCategory struct {
	name     string // the harness's group name without "mmlu_"
	subjects []string
}

// mmluLetters are the answer choices; a continuation is the target
// delimiter " " and a letter.
var mmluLetters = [4]string{"A", "B", "C", "D"}

// MMLUSubjects returns the subjects of the given categories ("stem",
// "humanities", "social_sciences", "other"), or all 57 without arguments,
// in alphabetical order.
func MMLUSubjects(categories ...string) []string {
	var out []string
	for _, c := range mmluCategories {
		if len(categories) == 0 || slices.Contains(categories, c.name) {
			out = append(out, c.subjects...)
		}
	}
	for _, c := range categories {
		if mmluCategoryIndex(c) < 0 {
			fail("MMLUSubjects: unknown category %q (want stem, humanities, social_sciences or other)", c)
		}
	}
	slices.Sort(out)
	return out
}

// MMLUCategory returns the category of an MMLU subject ("stem",
// "humanities", "social_sciences" or "other"), "" for a name that is not
// one of the 57 subjects.
func MMLUCategory(subject string) string {
	for _, c := range mmluCategories {
		if slices.Contains(c.subjects, subject) {
			return c.name
		}
	}
	return ""
}

func mmluCategoryIndex(name string) int {
	return slices.IndexFunc(mmluCategories, func(c mmluCategory) bool { return c.name == name })
}

// MMLUQuestion is one MMLU question: a row "question, A, B, C, D, answer
// letter" of the Hendrycks CSVs.
type MMLUQuestion struct {
	Question string
	Choices  [4]string
	// Answer is the index of the correct choice: 0 for A ... 3 for D.
	Answer int
}

// MMLUSubject is one MMLU subject with its questions.
type MMLUSubject struct {
	// Name is the subject as the CSV files and the harness name it
	// ("high_school_us_history").
	Name string
	// Category is "stem", "humanities", "social_sciences" or "other".
	Category string
	// Dev are the few-shot examples (5 per subject), in file order.
	Dev []MMLUQuestion
	// Test are the questions scored, in file order.
	Test []MMLUQuestion
}

// MMLUData is MMLU read by [LoadMMLU].
type MMLUData struct {
	// Dir is the folder read (it holds dev/ and test/).
	Dir string
	// Subjects are in alphabetical order.
	Subjects []*MMLUSubject
}

// String says what was read.
func (d *MMLUData) String() string {
	nDev, nTest := 0, 0
	for _, s := range d.Subjects {
		nDev += len(s.Dev)
		nTest += len(s.Test)
	}
	return fmt.Sprintf("MMLU: %d subjects, %d test and %d dev questions in %s", len(d.Subjects), nTest, nDev, d.Dir)
}

// Subject returns the subject of that name, nil if d does not have it.
func (d *MMLUData) Subject(name string) *MMLUSubject {
	for _, s := range d.Subjects {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// LoadMMLU reads MMLU from the original release's CSVs (Hendrycks et al.'s
// data.tar, which `actsh download mmlu` unpacks into $DATA_DIR/mmlu): for
// each subject dev/<subject>_dev.csv, the five few-shot examples, and
// test/<subject>_test.csv, the questions scored; headerless rows
// "question, A, B, C, D, answer letter". These are the questions and the
// dev split lm-evaluation-harness's mmlu task reads from the Hugging Face
// hub.
//
// dir is that folder, or a data directory holding mmlu/; "" is
// $DATA_DIR/mmlu (else /mnt/data/mmlu, ml-act's default). Without
// subjects it reads all 57; subjects may name subjects
// ("abstract_algebra"), categories ("stem", "humanities",
// "social_sciences", "other") or the harness's task names ("mmlu",
// "mmlu_stem", "mmlu_abstract_algebra"). A missing file or a malformed row
// panics with its path and line; [ReadMMLU] returns the error instead.
func LoadMMLU(dir string, subjects ...string) *MMLUData {
	d, err := ReadMMLU(dir, subjects...)
	must(err)
	return d
}

// ReadMMLU is [LoadMMLU] returning an error.
func ReadMMLU(dir string, subjects ...string) (*MMLUData, error) {
	names, err := mmluSelect(subjects)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = filepath.Join("/mnt/data", "mmlu")
		if dd := os.Getenv("DATA_DIR"); dd != "" {
			dir = filepath.Join(dd, "mmlu")
		}
	}
	if !isDir(filepath.Join(dir, "test")) && isDir(filepath.Join(dir, "mmlu", "test")) {
		dir = filepath.Join(dir, "mmlu")
	}
	var missing []string
	for _, s := range names {
		for _, split := range []string{"dev", "test"} {
			p := mmluPath(dir, s, split)
			if _, err := os.Stat(p); err != nil {
				missing = append(missing, p)
			}
		}
	}
	if len(missing) > 0 {
		what := missing[0]
		if len(missing) > 1 {
			what = fmt.Sprintf("%s and %d more of the %d files", what, len(missing)-1, 2*len(names))
		}
		return nil, fmt.Errorf("MMLU data missing in %s (%s): run `actsh download mmlu` to fetch it into $DATA_DIR/mmlu", dir, what)
	}
	d := &MMLUData{Dir: dir}
	for _, s := range names {
		sub := &MMLUSubject{Name: s, Category: MMLUCategory(s)}
		if sub.Dev, err = readMMLUFile(mmluPath(dir, s, "dev")); err != nil {
			return nil, err
		}
		if sub.Test, err = readMMLUFile(mmluPath(dir, s, "test")); err != nil {
			return nil, err
		}
		if len(sub.Test) == 0 {
			return nil, fmt.Errorf("MMLU: %s has no questions", mmluPath(dir, s, "test"))
		}
		d.Subjects = append(d.Subjects, sub)
	}
	return d, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func mmluPath(dir, subject, split string) string {
	return filepath.Join(dir, split, subject+"_"+split+".csv")
}

// mmluSelect turns subject, category and harness task names into subjects,
// in alphabetical order without repeats.
func mmluSelect(names []string) ([]string, error) {
	if len(names) == 0 {
		return MMLUSubjects(), nil
	}
	var out []string
	for _, n := range names {
		n = strings.TrimPrefix(n, "mmlu_")
		switch {
		case n == "mmlu":
			out = append(out, MMLUSubjects()...)
		case mmluCategoryIndex(n) >= 0:
			out = append(out, MMLUSubjects(n)...)
		case MMLUCategory(n) != "":
			out = append(out, n)
		default:
			valid := append(MMLUSubjects(), "stem", "humanities", "social_sciences", "other")
			return nil, fmt.Errorf("MMLU: unknown subject %q%s (want one of the 57 subjects, a category stem, humanities, social_sciences or other, or mmlu for all)", n, hint(n, valid))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// readMMLUFile reads one headerless Hendrycks CSV as Python's csv.reader
// reads it (the harness's data was made that way).
func readMMLUFile(path string) ([]MMLUQuestion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true // Python's reader takes a bare " inside a field as text
	var out []MMLUQuestion
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("MMLU: %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != 6 {
			return nil, fmt.Errorf("MMLU: %s:%d: %d fields, want 6 (question, A, B, C, D, answer letter)", path, line, len(rec))
		}
		ans := slices.Index(mmluLetters[:], rec[5])
		if ans < 0 {
			return nil, fmt.Errorf("MMLU: %s:%d: answer %q: want A, B, C or D", path, line, rec[5])
		}
		out = append(out, MMLUQuestion{Question: rec[0], Choices: [4]string(rec[1:5]), Answer: ans})
	}
}

// text is the harness's doc_to_text for MMLU: the question stripped of
// surrounding whitespace (Python's str.strip), the four choices after
// their letters, and "Answer:".
func (q MMLUQuestion) text() string {
	var sb strings.Builder
	sb.WriteString(strings.TrimFunc(q.Question, pyIsSpace))
	for i, c := range q.Choices {
		sb.WriteString("\n" + mmluLetters[i] + ". " + c)
	}
	sb.WriteString("\nAnswer:")
	return sb.String()
}

// pyIsSpace is Python's str.isspace for one rune: Go's unicode.IsSpace
// and the separators U+001C..U+001F.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1C && r <= 0x1F }

// Prompt returns test question i of s as lm-evaluation-harness's mmlu task
// asks it with k shots: the context, then the four continuations " A",
// " B", " C", " D" whose log-likelihoods are compared. The context is
//
//	The following are multiple choice questions (with answers) about <subject, _ as spaces>.\n\n
//	<dev 1 question>\nA. <choice>\nB. …\nD. <choice>\nAnswer: <letter>\n\n
//	… (the first k dev questions, the harness's first_n sampler)
//	<test question>\nA. …\nD. <choice>\nAnswer:
//
// with each question stripped of surrounding whitespace and the choices as
// written.
func (s *MMLUSubject) Prompt(i, k int) (context string, continuations []string) {
	if i < 0 || i >= len(s.Test) {
		fail("%s: Prompt(%d, …): the subject has %d test questions", s.Name, i, len(s.Test))
	}
	if k < 0 || k > len(s.Dev) {
		fail("%s: Prompt(…, %d): %d shots asked, the dev split has %d questions", s.Name, k, k, len(s.Dev))
	}
	var sb strings.Builder
	sb.WriteString(mmluDescription(s.Name))
	for _, q := range s.Dev[:k] {
		sb.WriteString(q.text() + " " + mmluLetters[q.Answer] + "\n\n")
	}
	sb.WriteString(s.Test[i].text())
	conts := make([]string, len(mmluLetters))
	for j, l := range mmluLetters {
		conts[j] = " " + l
	}
	return sb.String(), conts
}

// mmluDescription is the harness's description of a subject's task.
func mmluDescription(subject string) string {
	return "The following are multiple choice questions (with answers) about " + strings.ReplaceAll(subject, "_", " ") + ".\n\n"
}

// MMLUResult is what [Model.MMLU] measured. Accuracies are aggregated as
// lm-evaluation-harness aggregates MMLU (its groups' weight_by_size):
// a category's and the overall accuracy are the subjects' accuracies
// weighted by their numbers of questions, that is the fraction of all
// their questions answered right; not the mean of the subjects'
// accuracies.
type MMLUResult struct {
	// Overall is every question scored ("mmlu").
	Overall MMLUScore
	// Categories are stem, other, social_sciences and humanities (the
	// harness's order), those with a subject scored.
	Categories []MMLUScore
	// Subjects are in alphabetical order.
	Subjects []MMLUScore
	// Items are the questions, subject by subject.
	Items []MMLUItem
	// Shots is the number of few-shot examples; Limit the most questions
	// scored per subject (0: all); Strength the λ of the transport.
	Shots, Limit int
	Strength     float64
}

// MMLUScore is the accuracy of a subject, a category or the whole.
type MMLUScore struct {
	// Name is the subject or category ("abstract_algebra", "stem"), or
	// "mmlu" for the whole.
	Name string
	// N questions were scored, Correct of them right; Acc = Correct/N.
	N, Correct int
	Acc        float64
	// Stderr is the harness's standard error of Acc: for a subject the
	// sample standard deviation of the 0/1 scores over √N,
	// √(Acc(1−Acc)/(N−1)); for a group the pooled
	// √(Σ (nᵢ−1)·nᵢ·seᵢ² / (Σnᵢ − k) / Σnᵢ) over its k subjects. NaN where
	// the harness says N/A (a subject of one question).
	Stderr float64
}

// MMLUItem is one scored question.
type MMLUItem struct {
	Subject string
	// Index is the question's row in the subject's test file (from 0).
	Index int
	// LogLik are log p(" A"), … log p(" D") given the prompt.
	LogLik [4]float64
	// Pred is the choice of highest log-likelihood (the first on ties, as
	// numpy's argmax); Answer the correct one.
	Pred, Answer int
}

// String prints the table the harness prints: the whole, each category and
// its subjects, with N, accuracy and standard error.
func (r *MMLUResult) String() string {
	var sb strings.Builder
	limit := ""
	if r.Limit > 0 {
		limit = fmt.Sprintf(", at most %d questions per subject", r.Limit)
	}
	fmt.Fprintf(&sb, "MMLU, %d-shot, strength %g%s\n", r.Shots, r.Strength, limit)
	fmt.Fprintf(&sb, "%-44s %6s %7s %7s\n", "", "n", "acc", "stderr")
	sb.WriteString(r.Overall.row(""))
	for _, c := range r.Categories {
		sb.WriteString(c.row(" - "))
		for _, s := range r.Subjects {
			if MMLUCategory(s.Name) == c.Name {
				sb.WriteString(s.row("    - "))
			}
		}
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

func (s MMLUScore) row(indent string) string {
	se := "N/A"
	if !math.IsNaN(s.Stderr) {
		se = fmt.Sprintf("%.4f", s.Stderr)
	}
	return fmt.Sprintf("%-44s %6d %7.4f %7s\n", indent+s.Name, s.N, s.Acc, se)
}

// Shots sets the number of few-shot examples MMLU puts before each
// question (default 5, ml-act's num_fewshot; 0 for none).
func Shots(k int) Option { return func(o *options) { o.shots, o.shotsSet = k, true } }

// MMLU scores the model with transport t at strength λ (t nil: unsteered)
// on MMLU as lm-evaluation-harness's mmlu task does, which is how ml-act
// measures it (evaluate_eleuther.py): each test question is asked with
// the subject's first 5 dev questions and their answers as examples (see
// [MMLUSubject.Prompt]), the log-likelihood of each answer letter " A" …
// " D" after the prompt is computed as [Model.LogLikelihood] computes it,
// and the question counts as right when the correct letter's is the
// highest (the harness's acc). Categories and the whole are weighted by
// size (see [MMLUResult]).
//
// Options: Limit(n) scores the first n test questions of each subject
// (ml-act's limit; its fast mode uses 10), Shots(k) (default 5), Batch
// (sequences per pass), Position. Progress goes to stderr.
//
//	d := LoadMMLU("")                       // $DATA_DIR/mmlu, from `actsh download mmlu`
//	r := m.MMLU(d, t, 1, Limit(10))
//	fmt.Println(r)                           // the table; r.Overall.Acc, r.Subjects, r.Items
func (m *Model) MMLU(data *MMLUData, t *Transport, lambda float64, opts ...Option) *MMLUResult {
	const call = "MMLU"
	if data == nil || len(data.Subjects) == 0 {
		fail("%s: no MMLU data (read it with LoadMMLU)", call)
	}
	o := collect(opts)
	shots := 5
	if o.shotsSet {
		shots = o.shots
	}
	if o.limit < 0 {
		fail("%s: Limit(%d): want a positive number of questions per subject", call, o.limit)
	}
	if err := mmluCheckShots(data, shots); err != nil {
		fail("%s: Shots(%d): %v", call, shots, err)
	}
	total := 0
	for _, s := range data.Subjects {
		total += mmluTake(len(s.Test), o.limit, 0)
	}
	bar := progress.New(os.Stderr, "mmlu", total).Unit("questions")
	defer bar.Done()
	run := mmluRun{shots: shots, limit: o.limit, strength: lambda, bar: bar,
		opts: []Option{Batch(o.batch), Position(o.position), withContext(o.context())}}
	res, err := m.mmlu(data, t, run)
	must(err)
	return res
}

// mmluCheckShots checks that every subject has k dev questions.
func mmluCheckShots(d *MMLUData, k int) error {
	if k < 0 {
		return fmt.Errorf("want 0 or more few-shot examples")
	}
	for _, s := range d.Subjects {
		if len(s.Dev) < k {
			return fmt.Errorf("%s has %d dev questions (%s), fewer than %d", s.Name, len(s.Dev), mmluPath(d.Dir, s.Name, "dev"), k)
		}
	}
	return nil
}

// mmluTake is how many of n test questions are scored: all (limit 0 and
// frac 0), the first limit, or the harness's ceil(n·frac) for a fraction
// 0 < frac < 1.
func mmluTake(n, limit int, frac float64) int {
	switch {
	case frac > 0:
		return min(n, int(math.Ceil(float64(n)*frac)))
	case limit > 0:
		return min(n, limit)
	}
	return n
}

// mmluRun is how [Model.mmlu] runs: shots, the limit (limit questions or
// the fraction frac of each subject), what to pass LogLikelihood, the
// subjects already scored by an earlier run (done) and a callback after
// each subject (to save it).
type mmluRun struct {
	shots    int
	limit    int
	frac     float64
	strength float64
	opts     []Option
	bar      *progress.Bar
	done     map[string][]MMLUItem
	after    func(subject string, items []MMLUItem) error
}

// mmluChunk is how many questions go to logLikelihoods at once (between
// checks for cancellation and progress updates).
const mmluChunk = 32

// mmlu scores every subject of data and aggregates. LogLikelihood's
// panics propagate (callers catch them).
func (m *Model) mmlu(data *MMLUData, t *Transport, run mmluRun) (*MMLUResult, error) {
	res := &MMLUResult{Shots: run.shots, Limit: run.limit, Strength: run.strength}
	o := collect(run.opts)
	ctx := o.context()
	st := m.steeringAt("MMLU", t, run.strength, o.position)
	for _, s := range data.Subjects {
		n := mmluTake(len(s.Test), run.limit, run.frac)
		items, ok := run.done[s.Name]
		if ok && len(items) == n {
			run.bar.Add(n)
		} else {
			items = make([]MMLUItem, n)
			// Questions go through the model together, mmluChunk at a
			// time (each a pass over its prompt: the choices are one
			// token each).
			for lo := 0; lo < n; lo += mmluChunk {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("MMLU interrupted at %s: %w", s.Name, err)
				}
				hi := min(lo+mmluChunk, n)
				reqs := make([]llRequest, hi-lo)
				for i := lo; i < hi; i++ {
					prompt, conts := s.Prompt(i, run.shots)
					reqs[i-lo] = llRequest{prompt, conts}
				}
				lls, err := m.logLikelihoods(ctx, "MMLU", reqs, st, o.batch)
				if err != nil {
					return nil, fmt.Errorf("MMLU %s: %w", s.Name, err)
				}
				for i := lo; i < hi; i++ {
					ll := lls[i-lo]
					it := MMLUItem{Subject: s.Name, Index: i, Answer: s.Test[i].Answer, LogLik: [4]float64(ll)}
					for j, v := range ll {
						if v > ll[it.Pred] {
							it.Pred = j
						}
					}
					items[i] = it
				}
				run.bar.Add(hi - lo)
			}
			if run.after != nil {
				if err := run.after(s.Name, items); err != nil {
					return nil, err
				}
			}
		}
		res.Items = append(res.Items, items...)
	}
	res.aggregate()
	return res, nil
}

// aggregate computes the subjects', categories' and overall scores from
// the items.
func (r *MMLUResult) aggregate() {
	bySubject := map[string]*MMLUScore{}
	var order []string
	for _, it := range r.Items {
		s := bySubject[it.Subject]
		if s == nil {
			s = &MMLUScore{Name: it.Subject}
			bySubject[it.Subject] = s
			order = append(order, it.Subject)
		}
		s.N++
		if it.Pred == it.Answer {
			s.Correct++
		}
	}
	slices.Sort(order)
	r.Subjects = nil
	for _, name := range order {
		s := bySubject[name]
		s.Acc = float64(s.Correct) / float64(s.N)
		s.Stderr = math.NaN()
		if s.N > 1 {
			s.Stderr = math.Sqrt(s.Acc * (1 - s.Acc) / float64(s.N-1))
		}
		r.Subjects = append(r.Subjects, *s)
	}
	r.Categories = nil
	for _, c := range mmluCategories {
		var members []MMLUScore
		for _, s := range r.Subjects {
			if slices.Contains(c.subjects, s.Name) {
				members = append(members, s)
			}
		}
		if len(members) > 0 {
			r.Categories = append(r.Categories, mmluGroup(c.name, members))
		}
	}
	r.Overall = mmluGroup("mmlu", r.Subjects)
}

// mmluGroup aggregates subjects as the harness's weight_by_size groups do:
// acc = Σ accᵢ·nᵢ / Σ nᵢ, and the pooled standard error (N/A when one of
// the subjects has none).
func mmluGroup(name string, subjects []MMLUScore) MMLUScore {
	g := MMLUScore{Name: name}
	var sumAcc, pooled float64
	na := false
	for _, s := range subjects {
		g.N += s.N
		g.Correct += s.Correct
		sumAcc += s.Acc * float64(s.N)
		pooled += float64(s.N-1) * s.Stderr * s.Stderr * float64(s.N)
		na = na || math.IsNaN(s.Stderr)
	}
	g.Acc = sumAcc / float64(g.N)
	g.Stderr = math.NaN()
	if !na && g.N > len(subjects) {
		g.Stderr = math.Sqrt(pooled / float64(g.N-len(subjects)) / float64(g.N))
	}
	return g
}
