package bench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/gemma2" // Gemma2ForCausalLM
	"github.com/actsh/actsh/engine/safetensors"
)

// gemmaShape is the Gemma-2 model of the gemma2 workload and its batches.
type gemmaShape struct {
	layers, hidden, intermediate, heads, kvHeads, headDim, vocab, window int
	prefillBatch, prefillLen, promptLen, newTokens                       int
}

func gemma2Shape(quick bool) gemmaShape {
	if quick {
		return gemmaShape{layers: 2, hidden: 64, intermediate: 128, heads: 4, kvHeads: 2, headDim: 16, vocab: 512, window: 8,
			prefillBatch: 1, prefillLen: 16, promptLen: 8, newTokens: 4}
	}
	// google/gemma-2-2b's config.json
	return gemmaShape{layers: 26, hidden: 2304, intermediate: 9216, heads: 8, kvHeads: 4, headDim: 256, vocab: 256000, window: 4096,
		prefillBatch: 1, prefillLen: 128, promptLen: 16, newTokens: 16}
}

func (s gemmaShape) config() string {
	return fmt.Sprintf(`{"architectures":["Gemma2ForCausalLM"],"model_type":"gemma2","vocab_size":%d,"hidden_size":%d,`+
		`"intermediate_size":%d,"num_hidden_layers":%d,"num_attention_heads":%d,"num_key_value_heads":%d,"head_dim":%d,`+
		`"query_pre_attn_scalar":%d,"attn_logit_softcapping":50.0,"final_logit_softcapping":30.0,"sliding_window":%d,`+
		`"hidden_activation":"gelu_pytorch_tanh","rms_norm_eps":1e-06,"rope_theta":10000.0,"max_position_embeddings":8192,`+
		`"bos_token_id":2,"eos_token_id":1,"pad_token_id":0,"torch_dtype":"bfloat16"}`,
		s.vocab, s.hidden, s.intermediate, s.layers, s.heads, s.kvHeads, s.headDim, s.headDim, s.window)
}

// shapes lists every weight of the checkpoint with its shape, by
// Hugging Face name.
func (s gemmaShape) shapes() map[string][]int {
	D, F, Q, KV := s.hidden, s.intermediate, s.heads*s.headDim, s.kvHeads*s.headDim
	out := map[string][]int{"model.embed_tokens.weight": {s.vocab, D}, "model.norm.weight": {D}}
	for i := range s.layers {
		l := fmt.Sprintf("model.layers.%d.", i)
		for n, sh := range map[string][]int{
			"input_layernorm.weight": {D}, "post_attention_layernorm.weight": {D},
			"pre_feedforward_layernorm.weight": {D}, "post_feedforward_layernorm.weight": {D},
			"self_attn.q_proj.weight": {Q, D}, "self_attn.k_proj.weight": {KV, D}, "self_attn.v_proj.weight": {KV, D},
			"self_attn.o_proj.weight": {D, Q},
			"mlp.gate_proj.weight":    {F, D}, "mlp.up_proj.weight": {F, D}, "mlp.down_proj.weight": {D, F},
		} {
			out[l+n] = sh
		}
	}
	return out
}

// gemmaChunk is the number of values one PCG stream draws: tensors are
// filled in chunks, in parallel, each from its own stream, so the values
// do not depend on the number of threads.
const gemmaChunk = 1 << 20

// writeRandomGemma2 writes s's config.json and a bf16 model.safetensors
// into dir, streaming: matrices N(0, 0.02), norms N(0, 0.02) (Gemma's
// RMSNorm scales by 1 + w). No tensor is held whole in memory; the file
// is 2 bytes per parameter (5.2 GB at full size).
func writeRandomGemma2(dir string, s gemmaShape) error {
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(s.config()), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	shapes := s.shapes()
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	type entry struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	header := map[string]any{}
	offs := map[string]int64{}
	var off int64
	for _, n := range names {
		sz := int64(2)
		for _, d := range shapes[n] {
			sz *= int64(d)
		}
		header[n] = entry{DType: "BF16", Shape: shapes[n], Offsets: [2]int64{off, off + sz}}
		offs[n] = off
		off += sz
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}
	path := filepath.Join(dir, "model.safetensors")
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(len(hb)))
	if _, err := f.Write(append(lenb[:], hb...)); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	base := int64(8 + len(hb))
	type job struct {
		name     string
		chunk, n int
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 2*gemmaChunk)
			for j := range jobs {
				r := rand.New(rand.NewPCG(uint64(j.chunk), seedOf(j.name)))
				b := buf[:2*j.n]
				for i := range j.n {
					binary.LittleEndian.PutUint16(b[2*i:], safetensors.Float32ToBFloat16(float32(0.02*r.NormFloat64())))
				}
				if _, err := f.WriteAt(b, base+offs[j.name]+2*int64(j.chunk)*gemmaChunk); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for _, n := range names {
		total := 1
		for _, d := range shapes[n] {
			total *= d
		}
		for c := 0; c*gemmaChunk < total; c++ {
			jobs <- job{name: n, chunk: c, n: min(gemmaChunk, total-c*gemmaChunk)}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = f.Close()
	}
	if firstErr != nil {
		return fmt.Errorf("bench: write %s: %w", path, firstErr)
	}
	return nil
}

// gemmaRelTolerance bounds the relative difference (max|Δ| / max|x|) of the
// last-position model.norm outputs: both sides hold bf16 weights, ours may
// compute in float32 where PyTorch computes in bf16 (8 bits of mantissa,
// 26 layers).
const gemmaRelTolerance = 0.1

// runGemma2 times a Gemma-2-2B-shaped model with random bf16 weights:
// prefill (up to model.norm, no logits) and greedy cached decode, ours
// first; our model is released before PyTorch loads its copy.
func runGemma2(ctx context.Context, o *Options, py *python, dir string) ([]Result, error) {
	s := gemma2Shape(o.Quick)
	params := 0
	for _, sh := range s.shapes() {
		n := 1
		for _, d := range sh {
			n *= d
		}
		params += n
	}
	if avail := memAvailable(); avail > 0 {
		// The engine keeps the bf16 weights (2 bytes per parameter) and
		// peaked at 5.4 GB of its own memory for 2.6B parameters; the
		// mapped checkpoint besides is page cache. PyTorch, after us,
		// needs about as much.
		if avail < 2*int64(params) {
			return nil, fmt.Errorf("bench: gemma2 needs more than %.1f GB of memory (%d parameters in bf16), %.1f GB available",
				2*float64(params)/1e9, params, float64(avail)/1e9)
		}
		if avail < 3*int64(params) {
			o.logf("warning: gemma2 may need up to %.1f GB; %.1f GB available", 3*float64(params)/1e9, float64(avail)/1e9)
		}
	}
	ck := filepath.Join(dir, "gemma2")
	if err := os.MkdirAll(ck, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(ck)
	o.logf("writing a random bf16 Gemma-2 (%d layers, %d wide, vocab %d) to %s", s.layers, s.hidden, s.vocab, ck)
	if err := writeRandomGemma2(ck, s); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(8, 9))
	prefillIDs := randomIDs(r, s.vocab, s.prefillBatch, s.prefillLen)
	decodeIDs := randomIDs(r, s.vocab, 1, s.promptLen)
	idsPath := filepath.Join(dir, "gemma2-ids.safetensors")
	if err := writeIDs(idsPath, map[string][][]int{"ids.prefill": prefillIDs, "ids.decode": decodeIDs}); err != nil {
		return nil, err
	}

	var last [][]float32
	var toks [][]int
	results, err := func() ([]Result, error) {
		m, err := engine.Load(ctx, ck, engine.LoadOptions{})
		if err != nil {
			return nil, fmt.Errorf("bench: load the Gemma-2: %w", err)
		}
		var out *engine.Output
		warm, secs, err := measure(o.Reps, func() (err error) {
			out, err = m.Forward(ctx, prefillIDs, engine.ForwardOptions{NoLogits: true, Capture: []string{"model.norm"}, Pool: "last"})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("bench: gemma2 prefill: %w", err)
		}
		last = out.Pooled["model.norm"]
		work := float64(s.prefillBatch * s.prefillLen)
		pre := Result{Workload: "gemma2", Variant: "plain", Shape: fmt.Sprintf("prefill %d×%d", s.prefillBatch, s.prefillLen),
			Unit: "tokens/s", Work: work, Actsh: newTiming(work, warm, secs), key: "prefill"}
		o.logf("actsh gemma2 prefill: warm-up %.2f s, %.3g tokens/s", warm, pre.Actsh.Rate)
		warm, secs, err = measure(o.Reps, func() (err error) {
			toks, err = m.Generate(ctx, decodeIDs, engine.GenerateOptions{MaxNewTokens: s.newTokens, StopTokens: []int{}})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("bench: gemma2 decode: %w", err)
		}
		work = float64(s.newTokens)
		dec := Result{Workload: "gemma2", Variant: "plain", Shape: fmt.Sprintf("decode 1×(%d+%d)", s.promptLen, s.newTokens),
			Unit: "tokens/s", Work: work, Actsh: newTiming(work, warm, secs), key: "decode"}
		o.logf("actsh gemma2 decode: warm-up %.2f s, %.3g tokens/s", warm, dec.Actsh.Rate)
		return []Result{pre, dec}, nil
	}()
	if err != nil {
		return nil, err
	}
	runtime.GC()
	debug.FreeOSMemory() // PyTorch loads its copy next
	if py == nil {
		return results, nil
	}
	o.logf("PyTorch gemma2 in bf16 (%d threads)", py.threads)
	out, err := py.run(ctx, dir, "torch_gemma2.py", "--checkpoint", ck, "--ids", idsPath, "--threads", strconv.Itoa(py.threads),
		"--reps", strconv.Itoa(o.Reps), "--new-tokens", strconv.Itoa(s.newTokens))
	if err != nil {
		return nil, err
	}
	for i := range results {
		res := &results[i]
		tr := out.find("gemma2", res.key)
		if tr == nil {
			return nil, fmt.Errorf("bench: torch_gemma2.py reported no %s", res.key)
		}
		t := newTiming(res.Work, tr.WarmupSec, tr.Secs)
		res.Torch = &t
		if res.key == "prefill" {
			res.Check, res.CheckOK = checkRel(last, tr.Last, gemmaRelTolerance)
		} else {
			res.Check, res.CheckOK = checkTokens(toks, tr.Tokens)
			if !res.CheckOK && len(toks) > 0 && len(tr.Tokens) > 0 && len(toks[0]) > 0 && len(tr.Tokens[0]) > 0 && toks[0][0] == tr.Tokens[0][0] {
				// bf16 rounding may break a near tie later on.
				res.Check += " (first equal; the paths part later, bf16)"
				res.CheckOK = true
			}
		}
		o.logf("torch gemma2 %s: warm-up %.2f s, %.3g tokens/s; %s", res.key, tr.WarmupSec, t.Rate, res.Check)
	}
	return results, nil
}

// memAvailable is MemAvailable from /proc/meminfo in bytes, 0 when
// unknown.
func memAvailable() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// checkRel compares the rows of both sides by max|Δ| / max|x|.
func checkRel(ours [][]float32, theirs [][]float64, tol float64) (string, bool) {
	if len(ours) != len(theirs) {
		return fmt.Sprintf("model.norm outputs: %d rows here, %d in PyTorch", len(ours), len(theirs)), false
	}
	var d, m float64
	for i := range ours {
		if len(ours[i]) != len(theirs[i]) {
			return fmt.Sprintf("model.norm outputs: row %d has %d units here, %d in PyTorch", i, len(ours[i]), len(theirs[i])), false
		}
		for j := range ours[i] {
			d = math.Max(d, math.Abs(float64(ours[i][j])-theirs[i][j]))
			m = math.Max(m, math.Abs(theirs[i][j]))
		}
	}
	rel := d / math.Max(m, 1e-30)
	return fmt.Sprintf("model.norm rel |Δ| %.1e", rel), rel <= tol
}

// writeIDs writes token ids as I64 tensors.
func writeIDs(path string, ids map[string][][]int) error {
	var ts []safetensors.Tensor
	for name, x := range ids {
		var flat []int64
		for _, row := range x {
			for _, v := range row {
				flat = append(flat, int64(v))
			}
		}
		ts = append(ts, safetensors.I64(name, []int{len(x), len(x[0])}, flat))
	}
	if err := safetensors.Write(path, ts, nil); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}
