package notebooks_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/build"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/actsh/actsh/internal/fixture"

	// The notebooks import these packages from the working tree. Linking
	// them into the test makes a change to them invalidate go test's cached
	// result, which otherwise only sees the .ipynb files.
	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/act/view"
	_ "github.com/actsh/actsh/engine/hub"
	_ "github.com/actsh/actsh/tiny/demo"
)

// setupCell is the first code cell of every notebook: it adds the
// repository root, the folder above the notebook, to a go.work in GoNB's
// build folder; %noautoget keeps GoNB from asking the module proxy for
// what the workspace already provides.
const setupCell = "!*rm -f go.work && go work init && go work use . \"${GONB_DIR}/..\"\n%goworkfix\n%noautoget"

// aptPackages are the Debian packages the notebooks need (setup installs them).
const aptPackages = "jupyter-nbconvert python3-nbclient python3-ipykernel"

// expect says what an executed notebook must show.
type expect struct {
	png, tables int                              // at least this many PNG images and HTML tables
	check       func(t *testing.T, nb *notebook) // more checks, or nil
}

var expectations = map[string]expect{
	"quickstart.ipynb":  {tables: 1, check: checkRates},
	"sweep.ipynb":       {png: 1, tables: 1},
	"inside.ipynb":      {png: 5, tables: 3},
	"huggingface.ipynb": {check: checkCheckpoint},
	"toxicity.ipynb":    {tables: 1, check: checkToxicity},
	"concepts.ipynb":    {png: 1, tables: 1, check: checkConcepts},
	"diffusion.ipynb":   {png: 1},
}

// lines is a notebook string: JSON text or a list of lines.
type lines string

func (l *lines) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = lines(s)
		return nil
	}
	var ls []string
	if err := json.Unmarshal(b, &ls); err != nil {
		return err
	}
	*l = lines(strings.Join(ls, ""))
	return nil
}

type output struct {
	OutputType string           `json:"output_type"`
	Name       string           `json:"name"` // stdout or stderr, for streams
	Text       lines            `json:"text"`
	Data       map[string]lines `json:"data"`
	Ename      string           `json:"ename"`
	Evalue     string           `json:"evalue"`
	Traceback  []string         `json:"traceback"`
}

type cell struct {
	ID             string         `json:"id"`
	CellType       string         `json:"cell_type"`
	Source         lines          `json:"source"`
	ExecutionCount *int           `json:"execution_count"`
	Outputs        []output       `json:"outputs"`
	Metadata       map[string]any `json:"metadata"`
}

type notebook struct {
	NBFormat int    `json:"nbformat"`
	Cells    []cell `json:"cells"`
	Metadata struct {
		Kernelspec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
}

func readNotebook(t *testing.T, path string) *notebook {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &nb
}

// stdout returns the text the notebook's cells printed on stdout.
func (nb *notebook) stdout() string {
	var sb strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if o.OutputType == "stream" && o.Name == "stdout" {
				sb.WriteString(string(o.Text))
			}
		}
	}
	return sb.String()
}

func notebookFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no notebooks (*.ipynb) in notebooks/")
	}
	return files
}

// absPath matches a machine-specific absolute path in a cell's source.
var absPath = regexp.MustCompile(`(^|[\s"'(=])(/home/|/root/|/work/|/Users/|/tmp/|/opt/|[A-Z]:\\)`)

// TestSaved checks the committed notebooks: GoNB kernel, the setup cell
// first, no outputs or execution counts, no machine paths, and an
// expectation for each in this test.
func TestSaved(t *testing.T) {
	for _, f := range notebookFiles(t) {
		t.Run(f, func(t *testing.T) {
			if _, ok := expectations[f]; !ok {
				t.Errorf("%s has no entry in expectations: say what its executed outputs must show", f)
			}
			nb := readNotebook(t, f)
			if nb.NBFormat != 4 {
				t.Errorf("nbformat %d, want 4", nb.NBFormat)
			}
			if k := nb.Metadata.Kernelspec.Name; k != "gonb" {
				t.Errorf("kernelspec name %q, want gonb", k)
			}
			first := true
			for i, c := range nb.Cells {
				if c.ID == "" {
					t.Errorf("cell %d has no id", i)
				}
				if m := absPath.FindString(string(c.Source)); m != "" {
					t.Errorf("cell %d has a machine path (%q): notebooks must run on any clone", i, strings.TrimSpace(m))
				}
				if _, ok := c.Metadata["execution"]; ok {
					t.Errorf("cell %d carries execution timings: run make notebooks-clear", i)
				}
				if c.CellType != "code" {
					continue
				}
				if first && string(c.Source) != setupCell {
					t.Errorf("first code cell is\n%s\nwant the setup cell\n%s", c.Source, setupCell)
				}
				first = false
				if len(c.Outputs) != 0 || c.ExecutionCount != nil {
					t.Errorf("cell %d has outputs or an execution count: run make notebooks-clear", i)
				}
			}
			if first {
				t.Error("no code cell")
			}
		})
	}
}

// tools returns the jupyter command and the environment to run it in, or
// skips (fails with CI=true or as root, where setup installs them) when
// Jupyter or the GoNB kernel is missing.
func tools(t *testing.T) (string, []string) {
	t.Helper()
	bin := os.Getenv("GOBIN")
	if bin == "" {
		bin = filepath.Join(build.Default.GOPATH, "bin")
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOMLX_NO_AUTO_INSTALL=1",
		"HF_HUB_OFFLINE=1", // the notebooks never download
	)
	missing := func(what string) {
		t.Helper()
		msg := fmt.Sprintf("%s: run `make notebooks-setup` (it needs `apt-get install -y %s`, as root)", what, aptPackages)
		if os.Getenv("CI") == "true" || os.Geteuid() == 0 {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	jupyter, err := exec.LookPath("jupyter")
	if err != nil {
		missing("jupyter is not installed")
	}
	cmd := exec.Command(jupyter, "nbconvert", "--version")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		missing(fmt.Sprintf("jupyter nbconvert does not run (%v: %s)", err, bytes.TrimSpace(out)))
	}
	cmd = exec.Command(jupyter, "--paths", "--json")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		missing(fmt.Sprintf("jupyter --paths: %v", err))
	}
	var paths struct {
		Data []string `json:"data"`
	}
	if err := json.Unmarshal(out, &paths); err != nil {
		t.Fatalf("jupyter --paths --json: %v\n%s", err, out)
	}
	for _, d := range paths.Data {
		b, err := os.ReadFile(filepath.Join(d, "kernels", "gonb", "kernel.json"))
		if err != nil {
			continue
		}
		var spec struct {
			Argv []string `json:"argv"`
		}
		if err := json.Unmarshal(b, &spec); err != nil || len(spec.Argv) == 0 {
			missing(fmt.Sprintf("the gonb kernel spec in %s is unreadable (%v)", d, err))
		}
		if _, err := os.Stat(spec.Argv[0]); err != nil {
			missing(fmt.Sprintf("the gonb kernel in %s runs %s, which is missing", d, spec.Argv[0]))
		}
		return jupyter, env
	}
	missing(fmt.Sprintf("the GoNB kernel (gonb) is not installed in any of %v", paths.Data))
	return "", nil
}

// TestExecute runs every notebook headless on the GoNB kernel and checks
// its outputs.
func TestExecute(t *testing.T) {
	if testing.Short() {
		t.Skip("executing the notebooks takes minutes; not with -short")
	}
	jupyter, env := tools(t)
	outDir := t.TempDir()
	for _, f := range notebookFiles(t) {
		t.Run(strings.TrimSuffix(f, ".ipynb"), func(t *testing.T) {
			// A notebook takes under a minute here; leave go test's own
			// deadline room to report which one hung.
			timeout := 8 * time.Minute
			if d, ok := t.Deadline(); ok {
				timeout = min(timeout, time.Until(d)-20*time.Second)
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, jupyter, "nbconvert", "--to", "notebook", "--execute",
				"--ExecutePreprocessor.kernel_name=gonb", "--ExecutePreprocessor.timeout=400",
				"--output-dir", outDir, f)
			cmd.Env = env
			log, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("jupyter nbconvert --execute %s: %v\n%s", f, err, cellError(log))
			}
			nb := readNotebook(t, filepath.Join(outDir, f))
			checkNoErrors(t, nb)
			want := expectations[f]
			if n := countPNG(t, nb); n < want.png {
				t.Errorf("%d PNG images, want at least %d", n, want.png)
			}
			if n := countTables(nb); n < want.tables {
				t.Errorf("%d HTML tables, want at least %d", n, want.tables)
			}
			if want.check != nil {
				want.check(t, nb)
			}
		})
	}
}

// cellError returns the part of nbconvert's log that names the failing
// cell and its error, or the log's tail.
func cellError(log []byte) string {
	s := string(log)
	if i := strings.Index(s, "CellExecutionError"); i >= 0 {
		return s[i:]
	}
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// exitStatus matches what GoNB prints when a cell's program fails: it is
// not a cell error for Jupyter, so the test looks for it.
var exitStatus = regexp.MustCompile(`(?m)^exit status \d+|^panic: `)

func checkNoErrors(t *testing.T, nb *notebook) {
	t.Helper()
	for i, c := range nb.Cells {
		for _, o := range c.Outputs {
			switch {
			case o.OutputType == "error":
				t.Errorf("cell %d: %s: %s\n%s", i, o.Ename, o.Evalue, strings.Join(o.Traceback, "\n"))
			case o.OutputType == "stream" && o.Name == "stderr" && exitStatus.MatchString(string(o.Text)):
				t.Errorf("cell %d failed:\n%s\n%s", i, c.Source, o.Text)
			}
		}
	}
}

// countPNG counts the PNG images of the notebook's outputs, failing on one
// that does not decode, is small, or has fewer than 16 colours (blank).
func countPNG(t *testing.T, nb *notebook) int {
	t.Helper()
	n := 0
	for i, c := range nb.Cells {
		for _, o := range c.Outputs {
			data, ok := o.Data["image/png"]
			if !ok {
				continue
			}
			n++
			b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(data), "\n", ""))
			if err != nil {
				t.Errorf("cell %d: image/png is not base64: %v", i, err)
				continue
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("cell %d: image/png does not decode: %v", i, err)
				continue
			}
			if r := img.Bounds(); r.Dx() < 300 || r.Dy() < 200 {
				t.Errorf("cell %d: PNG is %dx%d, want at least 300x200", i, r.Dx(), r.Dy())
			}
			if k := fixture.Colours(img, 16); k < 16 {
				t.Errorf("cell %d: PNG has %d colours, want at least 16 (a blank plot?)", i, k)
			}
		}
	}
	return n
}

func countTables(nb *notebook) int {
	n := 0
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if h, ok := o.Data["text/html"]; ok && strings.Contains(string(h), "<table") {
				n++
			}
		}
	}
	return n
}

var (
	rateLine  = regexp.MustCompile(`mentions at λ=([0-9.]+): ([0-9.]+) \(of ([0-9]+) continuations\)`)
	scoreLine = regexp.MustCompile(`concept presence at λ=([0-9.]+): ([0-9.]+) \(judge, mean of ([0-9]+)\)`)
)

// checkRates checks the quickstart's claim: the concept presence (the
// classifier's mean probability) at the largest λ exceeds the score at
// λ = 0, and no step down is larger than 0.05 (sampling noise of a mean of
// ~32 probabilities). The lexicon mentions are printed too but not
// checked: the small embedded model rarely says the concept's name.
func checkRates(t *testing.T, nb *notebook) {
	m := scoreLine.FindAllStringSubmatch(nb.stdout(), -1)
	if len(m) < 3 || !rateLine.MatchString(nb.stdout()) {
		t.Fatalf("want lines %q and at least 3 lines %q in the output, got:\n%s",
			"mentions at λ=L: R (of N continuations)", "concept presence at λ=L: S (judge, mean of N)", nb.stdout())
	}
	const noise = 0.05
	var lambdas, scores []float64
	for _, s := range m {
		l, _ := strconv.ParseFloat(s[1], 64)
		r, _ := strconv.ParseFloat(s[2], 64)
		lambdas, scores = append(lambdas, l), append(scores, r)
	}
	t.Logf("concept presence by λ: %v → %v", lambdas, scores)
	for i := 1; i < len(scores); i++ {
		if lambdas[i] <= lambdas[i-1] {
			t.Errorf("λ not increasing: %v", lambdas)
		}
		if scores[i] < scores[i-1]-noise {
			t.Errorf("concept presence falls from %.3f at λ=%g to %.3f at λ=%g", scores[i-1], lambdas[i-1], scores[i], lambdas[i])
		}
	}
	if last := len(scores) - 1; scores[last] <= scores[0] {
		t.Errorf("concept presence %.3f at λ=%g does not exceed %.3f at λ=%g", scores[last], lambdas[last], scores[0], lambdas[0])
	}
}

// toxRow is a row of the toxicity notebook's table: λ, CLS %, 0-shot %,
// PPL-Wiki, Self-BLEU.
var toxRow = regexp.MustCompile(`<tr><td>([0-9.]+)</td><td>([0-9.]+)</td><td>([0-9.]+)</td><td>([0-9.]+)</td><td>([0-9.]+)</td>`)

// checkToxicity checks the toxicity notebook's table: three strengths with
// every measure a number, percentages in [0, 100], and at λ = 0 the
// perplexity of the unsteered embedded model on the kit's Wikipedia
// sentences (computed here through the same API).
func checkToxicity(t *testing.T, nb *notebook) {
	var html string
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if h, ok := o.Data["text/html"]; ok {
				html += string(h)
			}
		}
	}
	rows := toxRow.FindAllStringSubmatch(html, -1)
	if len(rows) != 3 {
		t.Fatalf("want 3 rows of numbers (λ = 0, 0.5, 1), got %d in:\n%s", len(rows), html)
	}
	for _, r := range rows {
		for _, pct := range r[2:4] {
			if v, _ := strconv.ParseFloat(pct, 64); v < 0 || v > 100 {
				t.Errorf("row %q: a percentage out of [0, 100]", r[0])
			}
		}
	}
	m := act.Load("tiny")
	wiki := act.CSV("../testdata/toxicity/wikipedia_sentences.csv", "text", "concept").Subset("wikipedia")
	want := fmt.Sprintf("%.1f", m.Perplexity(wiki, nil, 0, act.Truncate(50)))
	if rows[0][1] != "0" || rows[0][4] != want {
		t.Errorf("λ=0 row %q: want PPL-Wiki %s, the unsteered model's", rows[0][0], want)
	}
	if rows[2][4] == want {
		t.Errorf("λ=1 PPL-Wiki equals the unsteered model's (%s): the transport did nothing", want)
	}
}

// checkCheckpoint accepts either outcome of the Hugging Face notebook: a
// clean skip (its message, no plot) or the sweep (a plot and a table).
func checkCheckpoint(t *testing.T, nb *notebook) {
	if strings.Contains(nb.stdout(), "skipped: none of") {
		if n := countPNG(t, nb); n != 0 {
			t.Errorf("skipped, yet %d PNG images", n)
		}
		t.Log("no GPT-2 in the Hugging Face cache: the notebook skipped cleanly")
		return
	}
	if countPNG(t, nb) < 1 || countTables(nb) < 1 {
		t.Errorf("the checkpoint was found but the sweep shows no plot or no table:\n%s", nb.stdout())
	}
}

// conceptRow is a row of the concepts notebook's table: method, λ, p(yes)
// and PPL (median [q1, q3]), the classifier's median presence, a sample.
var conceptRow = regexp.MustCompile(`<tr><td[^>]*>([^<]+)</td><td[^>]*>([0-9.]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([0-9.]+)</td>`)

// checkConcepts checks the concepts notebook's table: three methods at
// seven strengths; at λ = 0 every method shows the unsteered model, whose
// numbers are recomputed here through the same API (the same sampling,
// judge and perplexity); at λ = 1 some method moves the perplexity; the
// probabilities lie in [0, 1].
func checkConcepts(t *testing.T, nb *notebook) {
	var html string
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if h, ok := o.Data["text/html"]; ok {
				html += string(h)
			}
		}
	}
	rows := conceptRow.FindAllStringSubmatch(html, -1)
	if len(rows) != 3*7 {
		t.Fatalf("want 21 rows (3 methods × 7 strengths), got %d in:\n%s", len(rows), html)
	}
	median := func(cell string) float64 {
		v, err := strconv.ParseFloat(strings.Fields(cell)[0], 64)
		if err != nil {
			t.Fatalf("cell %q: %v", cell, err)
		}
		return v
	}
	moved := false
	var zero []string
	for _, r := range rows {
		if p := median(r[3]); p < 0 || p > 1 {
			t.Errorf("row %q: p(yes) %v out of [0, 1]", r[0], p)
		}
		if p := median(r[5]); p < 0 || p > 1 {
			t.Errorf("row %q: presence %v out of [0, 1]", r[0], p)
		}
		switch r[2] {
		case "0":
			if zero == nil {
				zero = r[3:6]
			} else if strings.Join(r[3:6], "|") != strings.Join(zero, "|") {
				t.Errorf("λ = 0 of %s is %q, of the first method %q: λ = 0 must be the unsteered model", r[1], r[3:6], zero)
			}
		case "1":
			moved = moved || r[4] != zero[1]
		}
	}
	if !moved {
		t.Errorf("at λ = 1 no method changes the perplexity of λ = 0 (%s): the transports did nothing", zero[1])
	}
	m := act.Load("tiny")
	prompts := make([]string, 16)
	for i := range prompts {
		prompts[i] = "Once upon a time"
	}
	gens := m.GenerateBatch(prompts, nil, 0, act.MaxTokens(16), act.Sample(1, 0.3), act.RepetitionPenalty(1.2), act.Seed(1))
	yq1, ym, yq3 := view.Quartiles(m.ConceptScore("food", "", gens))
	pq1, pm, pq3 := view.Quartiles(m.Perplexities(gens, nil, 0, act.Prompts(prompts...)))
	want := []string{fmt.Sprintf("%.3g [%.3g, %.3g]", ym, yq1, yq3), fmt.Sprintf("%.1f [%.1f, %.1f]", pm, pq1, pq3)}
	if zero[0] != want[0] || zero[1] != want[1] {
		t.Errorf("λ = 0: p(yes) %q, PPL %q; the unsteered model gives %q, %q", zero[0], zero[1], want[0], want[1])
	}
}
