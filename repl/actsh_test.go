package repl

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// actshBinary builds cmd/actsh once per test run.
func actshBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the actsh binary; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to build actsh")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "actsh-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "actsh")
		cmd := exec.Command(goTool, "build", "-o", binPath, "github.com/actsh/actsh/cmd/actsh")
		cmd.Env = append(os.Environ(), "GOMLX_NO_AUTO_INSTALL=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("go build cmd/actsh: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func runActsh(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(actshBinary(t), args...)
	cmd.Env = append(os.Environ(), "GOMLX_NO_AUTO_INSTALL=1")
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// TestRunMatchesGoRun runs the same recipe with `actsh run` and `go run`.
func TestRunMatchesGoRun(t *testing.T) {
	bin := actshBinary(t)
	_ = bin
	got, stderr, code := runActsh(t, "", "run", "testdata/recipe.go", "x", "y")
	if code != 0 {
		t.Fatalf("actsh run: exit %d: %s", code, stderr)
	}
	cmd := exec.Command("go", "run", "testdata/recipe.go", "x", "y")
	cmd.Env = append(os.Environ(), "GOMLX_NO_AUTO_INSTALL=1")
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v", err)
	}
	if got != string(want) {
		t.Errorf("actsh run and go run differ\n--- actsh run ---\n%s--- go run ---\n%s", got, want)
	}
}

// TestMainJob runs the README's main job, recipes/demo.go, the way the
// quick start does (`actsh run`), at a reduced size (one concept named by
// its words, one method, one continuation per prompt, then the
// mitigation), and its bad-input path.
func TestMainJob(t *testing.T) {
	out, stderr, code := runActsh(t, "", "run", "../recipes/demo.go", "-concepts", "royalty=king+queen+throne", "-methods", "mean_ot", "-per-prompt", "1")
	if code != 0 {
		t.Fatalf("actsh run recipes/demo.go: exit %d: %s", code, stderr)
	}
	for _, want := range []string{`new concept "royalty": `, "pool sentences contain king, queen, throne", `== concept "royalty": 8 continuations per row`, "== mitigation: from the religion register", "done in"} {
		if !strings.Contains(out, want) {
			t.Errorf("main job output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\nmean_ot "); n != 10 {
		t.Errorf("main job output has %d mean_ot rows, want 5 for the concept and 5 for the mitigation:\n%s", n, out)
	}
	_, stderr, code = runActsh(t, "", "run", "../recipes/demo.go", "-concepts", "unicorn")
	if code != 1 || !strings.Contains(stderr, `unknown concept "unicorn"`) || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
		t.Errorf("unknown concept: exit %d, stderr %q; want 1 and one line naming it", code, stderr)
	}
}

// TestToxicityRecipe runs recipes/toxicity.go at CI size (-small: the
// embedded model, testdata/toxicity's synthetic kit and random-weight
// judge, act's synthetic MMLU subjects) through the pipeline, every
// method and evaluation, and checks its table; then a bad flag.
func TestToxicityRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs six pipelines")
	}
	res := t.TempDir()
	out, stderr, code := runActsh(t, "", "run", "../recipes/toxicity.go", "-small", "-kit", "../testdata/toxicity", "-results-dir", res)
	if code != 0 {
		t.Fatalf("actsh run recipes/toxicity.go -small: exit %d: %s", code, stderr)
	}
	for _, row := range []string{"| Original | – |", "| ActAdd | 1 |", "| AurA | 1 |", "| ITI-c | 1 |", "| Mean-AcT | 1 |", "| Linear-AcT | 1 |"} {
		i := strings.Index(out, row)
		if i < 0 {
			t.Fatalf("no row %q in:\n%s", row, out)
		}
		line := out[i : i+strings.Index(out[i:], "\n")]
		// 5 measures, each ours and the paper's: every measure ran (no "–" in our cells).
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 12 {
			t.Fatalf("row %q has %d cells, want 12", line, len(cells))
		}
		for k := 2; k < 12; k += 2 {
			if cells[k] == "–" || cells[k] == "NaN" {
				t.Errorf("row %q: measure %d missing", line, k/2)
			}
		}
	}
	for _, f := range []string{"linear_ot/seed42/evaluate_toxicity/rtp_summary.json", "linear_ot/seed42/evaluate_0shot/0shot_eval.csv",
		"linear_ot/seed42/evaluate_perplexity/model_perplexity.csv", "linear_ot/seed42/evaluate_eleuther/mmlu.json", "linear_ot/seed42/transport.act.safetensors"} {
		if _, err := os.Stat(filepath.Join(res, f)); err != nil {
			t.Errorf("result %s: %v", f, err)
		}
	}
	_, stderr, code = runActsh(t, "", "run", "../recipes/toxicity.go", "-small", "-kit", "../testdata/toxicity", "-results-dir", res, "-methods", "none,dexperts")
	if code != 1 || !strings.Contains(stderr, `unknown method "dexperts"`) {
		t.Errorf("unknown method: exit %d, stderr %q; want 1 and a line naming it", code, stderr)
	}
}

// TestTruthfulQARecipe runs recipes/truthfulqa.go at CI size (-small: the
// embedded model, act/testdata's synthetic TruthfulQA questions and MMLU
// subjects) through the pipeline, every method, and checks its table and
// that the held-out questions were scored; then two seeds without MMLU,
// and a bad method.
func TestTruthfulQARecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eight pipelines")
	}
	res := t.TempDir()
	args := []string{"run", "../recipes/truthfulqa.go", "-small", "-kit", "../act/testdata", "-results-dir", res}
	out, stderr, code := runActsh(t, "", args...)
	if code != 0 {
		t.Fatalf("actsh run recipes/truthfulqa.go -small: exit %d: %s", code, stderr)
	}
	// cells returns a row's cells: method, λ, then 3 measures × (ours, paper).
	cells := func(out, row string) []string {
		t.Helper()
		i := strings.Index(out, row)
		if i < 0 {
			t.Fatalf("no row %q in:\n%s", row, out)
		}
		line := out[i : i+strings.Index(out[i:], "\n")]
		c := strings.Split(strings.Trim(line, "| "), " | ")
		if len(c) != 8 {
			t.Fatalf("row %q has %d cells, want 8", line, len(c))
		}
		return c
	}
	for _, row := range []string{"| Original | – |", "| ActAdd | 1 |", "| AurA | 1 |", "| ITI-c | 1 |", "| Mean-AcT | 1 |", "| Linear-AcT | 1 |"} {
		c := cells(out, row)
		for k := 2; k < 8; k += 2 {
			if _, err := strconv.ParseFloat(c[k], 64); err != nil {
				t.Errorf("row %q: measure %d is %q, want a number", row, k/2, c[k])
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(res, "linear_ot", "seed42", "evaluate_eleuther", "truthfulqa.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"effective": 6`); n != 2 {
		t.Errorf("truthfulqa.json scored other than the 6 of 12 questions not learned from in each task:\n%s", data)
	}
	for _, f := range []string{"linear_ot/seed42/evaluate_eleuther/mmlu.json", "linear_ot/seed42/transport.act.safetensors"} {
		if _, err := os.Stat(filepath.Join(res, f)); err != nil {
			t.Errorf("result %s: %v", f, err)
		}
	}

	out, stderr, code = runActsh(t, "", append(args, "-methods", "none,linear_ot", "-seeds", "2", "-no-mmlu")...)
	if code != 0 {
		t.Fatalf("-seeds 2 -no-mmlu: exit %d: %s", code, stderr)
	}
	if c := cells(out, "| Linear-AcT | 1 |"); !strings.Contains(c[2], " ± ") || !strings.Contains(c[4], " ± ") || c[6] != "–" {
		t.Errorf("two seeds without MMLU: cells %q, want mean ± std for MC1 and MC2 and no MMLU", c)
	}
	_, stderr, code = runActsh(t, "", append(args, "-methods", "none,repe")...)
	if code != 1 || !strings.Contains(stderr, `unknown method "repe"`) {
		t.Errorf("unknown method: exit %d, stderr %q; want 1 and a line naming it", code, stderr)
	}
}

// TestAblationsRecipe runs recipes/ablations.go at CI size (-small) through
// the pipeline, every section, and checks that each table has its rows and
// a number in each of our cells (CLS toxicity, PPL-Wiki, Self-BLEU); then
// the 0-shot and MMLU columns -evals adds (the rtp runs reused), and a bad
// section.
func TestAblationsRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs twenty pipelines")
	}
	res := t.TempDir()
	args := []string{"run", "../recipes/ablations.go", "-small", "-kit", "../testdata/toxicity", "-results-dir", res}
	out, stderr, code := runActsh(t, "", args...)
	if code != 0 {
		t.Fatalf("actsh run recipes/ablations.go -small: exit %d: %s", code, stderr)
	}
	// checkTable finds the table under the heading starting with title and
	// checks its rows: method and varied value, then measures × (ours, paper).
	checkTable := func(out, title string, measures int, rows [][2]string) {
		t.Helper()
		i := strings.Index(out, "### "+title)
		if i < 0 {
			t.Fatalf("no table %q in:\n%s", title, out)
		}
		table := out[i:]
		if j := strings.Index(table[4:], "### "); j >= 0 {
			table = table[:4+j]
		}
		for _, r := range rows {
			prefix := "| " + r[0] + " | " + r[1] + " |"
			k := strings.Index(table, prefix)
			if k < 0 {
				t.Errorf("%s: no row %q in:\n%s", title, prefix, table)
				continue
			}
			line := table[k : k+strings.Index(table[k:], "\n")]
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) != 2+2*measures {
				t.Errorf("%s: row %q has %d cells, want %d", title, line, len(cells), 2+2*measures)
				continue
			}
			for m := 0; m < measures; m++ {
				ours := strings.Fields(cells[2+2*m])[0] // "m" or "m ± s"
				if _, err := strconv.ParseFloat(ours, 64); err != nil || ours == "NaN" {
					t.Errorf("%s: row %q: measure %d is %q, want a number", title, line, m+1, cells[2+2*m])
				}
			}
		}
	}
	orig := [2]string{"Original", "–"}
	checkTable(out, "Causal vs simultaneous estimation", 3, [][2]string{orig,
		{"Mean-AcT", "atonce"}, {"Mean-AcT", "incr"}, {"Linear-AcT", "atonce"}, {"Linear-AcT", "incr"}})
	checkTable(out, "Pooling of the responses", 3, [][2]string{orig,
		{"Linear-AcT", "mean"}, {"Linear-AcT", "max"}, {"Linear-AcT", "min"}, {"Linear-AcT", "median"}, {"Linear-AcT", "last"}})
	checkTable(out, "Diversity of the continuations", 3, [][2]string{orig,
		{"Mean-AcT", "0.5"}, {"Mean-AcT", "1"}, {"Linear-AcT", "0.5"}, {"Linear-AcT", "1"}})
	supports := [][2]string{orig}
	for _, q := range []string{"q_all", "q_0_100", "q_0.5_99.5", "q_1_99", "q_2_98", "q_5_95", "q_10_90", "q_20_80", "q_30_70", "q_40_60"} {
		supports = append(supports, [2]string{"Linear-AcT", q})
	}
	checkTable(out, "Support of Linear-AcT", 3, supports)
	for _, f := range []string{"none/seed42/evaluate_toxicity/rtp_full.csv", "linear_ot-atonce-mean-q_0_100-1/seed42/transport.act.safetensors",
		"linear_ot-incr-median-q_0_100-1/seed42/evaluate_toxicity/rtp_summary.json", "mean_ot-incr-mean-q_all-0.5/seed42/evaluate_toxicity/rtp_summary.json"} {
		if _, err := os.Stat(filepath.Join(res, f)); err != nil {
			t.Errorf("result %s: %v", f, err)
		}
	}

	out, stderr, code = runActsh(t, "", append(args, "-sections", "causal", "-evals", "rtp,zero_shot,mmlu")...)
	if code != 0 {
		t.Fatalf("actsh run recipes/ablations.go -small -evals rtp,zero_shot,mmlu: exit %d: %s", code, stderr)
	}
	checkTable(out, "Causal vs simultaneous estimation", 5, [][2]string{orig, {"Mean-AcT", "atonce"}, {"Linear-AcT", "incr"}})
	if !strings.Contains(out, "0-shot tox. % | paper | MMLU % | paper |") {
		t.Errorf("no 0-shot and MMLU columns in:\n%s", out)
	}

	_, stderr, code = runActsh(t, "", append(args, "-sections", "causal,steering")...)
	if code != 2 || !strings.Contains(stderr, `unknown section "steering"`) {
		t.Errorf("unknown section: exit %d, stderr %q; want 2 (a usage error, as the recipe exits) and a line naming it", code, stderr)
	}
}

// TestExitCodes checks the exit status and the one-line error of actsh for
// scripts that succeed, fail and panic, and for usage errors.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const head = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t. \"github.com/actsh/actsh/act\"\n)\n\nvar _, _ = Pool, os.Stderr\n\n"
	ok := write("ok.go", head+"func main() { fmt.Println(\"ok\") }\n")
	actErr := write("acterr.go", head+"func main() { fmt.Println(LoadTokenizer(\"/no/such/tokenizer.json\")) }\n")
	panics := write("panic.go", head+"func main() { fmt.Println(\"before\"); panic(\"boom\") }\n")
	compile := write("compile.go", head+"func main() { fmt.Println(undefinedName) }\n")
	// Yaegi's sandbox turns os.Exit into a panic: the shell exits with the
	// script's status and adds nothing to what the script printed.
	exit1 := write("exit1.go", head+"func main() { fmt.Fprintln(os.Stderr, \"exit1: bad flag\"); os.Exit(1) }\n")
	exit3 := write("exit3.go", head+"func main() { os.Exit(3) }\n")
	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		stdout  string
		errLike string // a substring of the one-line stderr ("" for none)
	}{
		{"run ok", "", []string{"run", ok}, 0, "ok\n", ""},
		{"run act error", "", []string{"run", actErr}, 1, "", "act: "},
		{"run panic", "", []string{"run", panics}, 1, "before\n", "panic: boom"},
		{"run compile error", "", []string{"run", compile}, 1, "", "undefined: undefinedName"},
		{"run os.Exit(1)", "", []string{"run", exit1}, 1, "", "exit1: bad flag"},
		{"run os.Exit(3)", "", []string{"run", exit3}, 3, "", ""},
		{"run missing file", "", []string{"run", filepath.Join(dir, "nope.go")}, 1, "", "nope.go"},
		{"run without file", "", []string{"run"}, 2, "", "usage"},
		{"unknown flag", "", []string{"-x"}, 2, "", "unknown argument"},
		{"-e ok", "", []string{"-e", "x := 20\nx + 1"}, 0, "21\n", ""},
		{"-e error", "", []string{"-e", "fmt.Println(1)\nnope\nfmt.Println(2)"}, 1, "1\n", "undefined: nope"},
		{"stdin lines", "x := 2\nfmt.Println(x * 3)\n", nil, 0, "6\n", ""},
		{"stdin program", "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"prog\") }\n", nil, 0, "prog\n", ""},
		{"stdin panic", "panic(\"no\")\n", nil, 1, "", "panic: no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runActsh(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if stdout != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout, tc.stdout)
			}
			if tc.errLike == "" && stderr != "" {
				t.Errorf("stderr %q, want none", stderr)
			}
			if tc.errLike != "" {
				if !strings.Contains(stderr, tc.errLike) {
					t.Errorf("stderr %q, want it to contain %q", stderr, tc.errLike)
				}
				if tc.code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
					t.Errorf("stderr has several lines, want one: %q", stderr)
				}
			}
		})
	}
}

// term drives actsh in a pseudo-terminal.
type term struct {
	t    *testing.T
	f    *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
	seen int
	done chan struct{}
}

func (p *term) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.Write(b)
}

// expect waits for s to appear in the output after what earlier calls saw.
func (p *term) expect(s string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		out := p.buf.String()
		p.mu.Unlock()
		if i := strings.Index(out[p.seen:], s); i >= 0 {
			p.seen += i + len(s)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.Fatalf("timed out waiting for %q; output after the last match:\n%s", s, p.buf.String()[p.seen:])
}

func (p *term) send(s string) {
	p.t.Helper()
	if _, err := p.f.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// TestTerminal drives the real program in a pseudo-terminal through tab
// completion, Ctrl-C during a long computation (one that watches act's
// context and one that does not), Ctrl-D, and the history file.
func TestTerminal(t *testing.T) {
	bin := actshBinary(t)
	state := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GOMLX_NO_AUTO_INSTALL=1", "XDG_STATE_HOME="+state, "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer f.Close()
	p := &term{t: t, f: f, done: make(chan struct{})}
	go func() {
		io.Copy(p, f)
		close(p.done)
	}()
	defer cmd.Process.Kill()

	p.expect("act> ")
	// Completion of a package member (one candidate: completed in place).
	p.send("strings.ToUpp\t")
	p.expect("strings.ToUpper")
	p.send("(\"abc\")\r")
	p.expect("\"ABC\"")
	p.expect("act> ")
	// Completion of a method of a value in scope.
	p.send("var b strings.Builder\r")
	p.expect("act> ")
	p.send("b.WriteStr\t")
	p.expect("b.WriteString")
	p.send("(\"hi\")\r")
	p.expect("act> ")
	p.send("b.String()\r")
	p.expect("\"hi\"")
	p.expect("act> ")

	// The terminal echoes every input (readline redraws the prompt and
	// the line at each key), so what a step waits for must not appear in
	// the input itself: the markers below are printed from two halves.

	// Ctrl-C during a computation that watches act's context.
	p.send("fmt.Println(\"loop\" + \"ing\"); for Context().Err() == nil {}\r")
	p.expect("looping")
	p.send("\x03")
	p.expect("interrupted\r\n") // the computation stopped
	p.expect("act> ")
	// Ctrl-C during one that does not: the session goes on in a fresh
	// interpreter with its variables.
	p.send("fmt.Println(\"spin\" + \"ning\"); for {}\r")
	p.expect("spinning")
	p.send("\x03")
	p.expect("does not watch for interrupts")
	p.expect("act> ")
	p.send("b.String() + \"!\"\r")
	p.expect("\"hi!\"")
	p.expect("act> ")

	// Ctrl-C during a long generation (act's Generate watches the context).
	ckpt := filepath.Join(repoRoot(t), "testdata", "reference", "gpt2", "checkpoint")
	if _, err := os.Stat(filepath.Join(ckpt, "model.safetensors")); err == nil {
		p.send("m := Load(\"" + ckpt + "\")\r")
		p.expect("act> ")
		// Warm up first (backend start, compilation), so that Ctrl-C lands
		// inside a generation rather than before the first one.
		p.send("fmt.Println(\"warm\" + \"ed\", len(m.GenerateIDs([]int{1, 2, 3}, nil, 0, MaxTokens(40))))\r")
		p.expect("warmed 40")
		p.expect("act> ")
		p.send("fmt.Println(\"gener\" + \"ating\"); for { m.GenerateIDs([]int{1, 2, 3}, nil, 0, MaxTokens(40)) }\r")
		p.expect("generating")
		p.send("\x03")
		p.expect("interrupted\r\n")
		p.expect("act> ")
	} else {
		t.Logf("no Ctrl-C during generation: %s is missing", ckpt)
	}

	// Ctrl-D leaves.
	p.send("\x04")
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("actsh did not exit on Ctrl-D")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("actsh exit: %v", err)
	}
	hist, err := os.ReadFile(filepath.Join(state, "actsh", "history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hist), "var b strings.Builder\n") {
		t.Errorf("history file lacks an input line:\n%s", hist)
	}
}
