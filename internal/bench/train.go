package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/tiny/train"
)

// ChildEnv is set to 1 in the environment of the child process that times
// the training row on GoMLX's pure-Go backend ("go", simplego). The child
// is this executable run as `bench -workloads train …`; a test binary
// must hand such a run to [Main] itself (see TestMain in the tests).
const ChildEnv = "ACTSH_BENCH_CHILD"

// baselineBackend is the GOMLX_BACKEND of the training row's anchor:
// GoMLX's pure-Go backend with its ops in sequence, as tiny_train ran
// before the CPU backend (its parallel scheduler can deadlock on training
// graphs).
const baselineBackend = "go:ops_sequential"

// trainShape is the model and batch of the train workload: the first
// embedded model's configuration (2 layers × 128, 4 heads, 64 positions,
// 4096 tokens; batch 8 × 64), kept fixed so that the README's Speed rows
// stay comparable across releases of the embedded model.
func trainShape(quick bool) (cfg train.Config, batch, steps int) {
	if quick {
		return train.Config{Vocab: 256, Positions: 16, Embd: 32, Layers: 1, Heads: 2, EOS: 255}, 2, 2
	}
	return train.Config{Vocab: 4096, Positions: 64, Embd: 128, Layers: 2, Heads: 4, EOS: 4095}, 8, 5
}

// trainTolerance bounds the difference of the losses after the timed
// steps on two backends: the same float32 graph summed in different
// orders, a few AdamW steps (losses of order 8).
const trainTolerance = 1e-3

// runTrain times AdamW steps of tiny/train on the process's backend, then
// (unless NoBaseline, or in the child itself) the same in a child process
// on GoMLX's pure-Go backend, the anchor.
func runTrain(ctx context.Context, o *Options, py *python, dir string) ([]Result, error) {
	cfg, batch, steps := trainShape(o.Quick)
	_, backend, err := engine.Backend()
	if err != nil {
		return nil, fmt.Errorf("bench: train: %w", err)
	}
	total := (o.Reps + 1) * steps
	tr, err := train.New(train.Options{Model: cfg, Steps: total, Batch: batch, Seed: 1, EvalEvery: -1})
	if err != nil {
		return nil, fmt.Errorf("bench: train: %w", err)
	}
	r := rand.New(rand.NewPCG(6, 7))
	windows := make([][][]int32, total)
	for s := range windows {
		windows[s] = make([][]int32, batch)
		for i := range windows[s] {
			w := make([]int32, cfg.Positions+1)
			for j := range w {
				w[j] = int32(r.IntN(cfg.Vocab))
			}
			windows[s][i] = w
		}
	}
	var loss float64
	warm, secs, err := measure(o.Reps, func() error {
		for range steps {
			if loss, err = tr.Step(windows[tr.Steps()]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bench: train: %w", err)
	}
	work := float64(steps * batch * cfg.Positions)
	res := Result{Workload: "train", Variant: backend,
		Shape: fmt.Sprintf("%d layers × %d wide, %d×%d, %d steps", cfg.Layers, cfg.Embd, batch, cfg.Positions, steps),
		Unit:  "tokens/s", Work: work, Actsh: newTiming(work, warm, secs)}
	res.Actsh.Breakdown = map[string]float64{"loss": loss}
	o.logf("actsh train on %s: warm-up %.2f s, %.3g tokens/s, loss %.4f", backend, warm, res.Actsh.Rate, loss)
	if o.NoBaseline || os.Getenv(ChildEnv) == "1" {
		return []Result{res}, nil
	}
	res.Anchor = trainBaseline(ctx, o, &res)
	return []Result{res}, nil
}

// trainBaseline runs the train row in a child process on the pure-Go
// backend and returns it as the row's anchor; a failure is the anchor's
// note, not an error.
func trainBaseline(ctx context.Context, o *Options, res *Result) *Anchor {
	a := &Anchor{Name: "simplego"}
	exe, err := os.Executable()
	if err != nil {
		a.Note = fmt.Sprintf("baseline not run: %v", err)
		return a
	}
	args := []string{"bench", "-workloads", "train", "-no-torch", "-llamacpp", "off", "-format", "json", "-q",
		"-reps", strconv.Itoa(o.Reps)}
	if o.Quick {
		args = append(args, "-quick")
	}
	o.logf("train on GoMLX's pure-Go backend in a child process (GOMLX_BACKEND=%s)", baselineBackend)
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND="+baselineBackend, ChildEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		a.Note = fmt.Sprintf("baseline failed: %v: %s", err, tail(stderr.String(), 500))
		return a
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || len(rep.Results) != 1 || rep.Results[0].Workload != "train" {
		a.Note = fmt.Sprintf("baseline printed no train row: %v: %s", err, tail(stdout.String(), 500))
		return a
	}
	t := rep.Results[0].Actsh
	a.Timing = &t
	a.Note = fmt.Sprintf("the same steps in a child process with GOMLX_BACKEND=%s (GoMLX's pure-Go backend, today's baseline); target ≥ 5×", baselineBackend)
	ours, theirs := res.Actsh.Breakdown["loss"], t.Breakdown["loss"]
	d := math.Abs(ours - theirs)
	res.Check = fmt.Sprintf("loss %.4f here, %.4f on simplego, |Δ| %.1e", ours, theirs, d)
	res.CheckOK = d <= trainTolerance
	o.logf("simplego train: warm-up %.2f s, %.3g tokens/s; %s", t.WarmupSec, t.Rate, res.Check)
	return a
}
