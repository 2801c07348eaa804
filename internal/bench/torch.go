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

	scripts "github.com/actsh/actsh/scripts/bench"
)

// installHint is how to get torch where the bench looks for it.
const installHint = "apt-get install -y python3-torch libopenblas0-pthread"

// python is a working interpreter with torch, and the folder holding the
// extracted scripts.
type python struct {
	path    string
	version string
	threads int
	blas    string // the BLAS library its products run on (blasName)
	scripts string
}

// torchOutput is what the scripts print.
type torchOutput struct {
	Torch   string        `json:"torch"`
	Threads int           `json:"threads"`
	Results []torchResult `json:"results"`
}

type torchResult struct {
	Workload  string             `json:"workload"`
	Variant   string             `json:"variant"`
	WarmupSec float64            `json:"warmup_s"`
	Secs      []float64          `json:"secs"`
	Last      [][]float64        `json:"last"`
	Tokens    [][]int            `json:"tokens"`
	Breakdown map[string]float64 `json:"breakdown"`
}

// findTorch returns the interpreter when it imports torch (installing it
// first when asked and allowed), or nil and a note saying what is missing
// and how to fix it.
func findTorch(ctx context.Context, o *Options) (*python, string) {
	if _, err := os.Stat(o.Python); err != nil {
		return nil, fmt.Sprintf("PyTorch side skipped: no Python at %s (install Debian's python3 and torch: %s)", o.Python, installHint)
	}
	threads := o.TorchThreads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	probe := func() (string, error) {
		cmd := exec.CommandContext(ctx, o.Python, "-c",
			// The BLAS library is the one mapped after a product: Debian's
			// torch takes whichever libblas.so.3 the system's alternatives
			// point at, and the reference BLAS (libblas3) is ~10× slower
			// than OpenBLAS.
			"import sys, torch; torch.set_num_threads(int(sys.argv[1])); torch.ones(64, 64) @ torch.ones(64, 64); "+
				"b = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.split()[-1].lower()}); "+
				"print(';'.join(b) or 'none', torch.__version__, torch.get_num_threads())",
			strconv.Itoa(threads))
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	out, err := probe()
	if err != nil && o.Install {
		if os.Geteuid() != 0 {
			return nil, fmt.Sprintf("PyTorch side skipped: %s has no torch and -install needs root; run: sudo %s", o.Python, installHint)
		}
		o.logf("installing PyTorch: %s", installHint)
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "python3-torch", "libopenblas0-pthread")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if o.Log != nil {
			cmd.Stdout, cmd.Stderr = o.Log, o.Log
		}
		if ierr := cmd.Run(); ierr != nil {
			return nil, fmt.Sprintf("PyTorch side skipped: %s failed: %v", installHint, ierr)
		}
		out, err = probe()
	}
	if err != nil {
		return nil, fmt.Sprintf("PyTorch side skipped: %s cannot import torch; install it with: sudo %s (or run `actsh bench -install` as root)", o.Python, installHint)
	}
	f := strings.Fields(out)
	if len(f) < 3 {
		return nil, fmt.Sprintf("PyTorch side skipped: unexpected answer from %s: %q", o.Python, out)
	}
	n, _ := strconv.Atoi(f[len(f)-1])
	return &python{path: o.Python, version: f[len(f)-2], threads: n, blas: blasName(f[len(f)-3])}, ""
}

// blasName names the BLAS library torch loaded ("openblas-pthread",
// "reference (libblas3)", ...), from the mapped library paths.
func blasName(paths string) string {
	switch {
	case strings.Contains(paths, "openblas"):
		for _, p := range strings.Split(paths, ";") {
			if d := filepath.Base(filepath.Dir(p)); strings.HasPrefix(d, "openblas") {
				return d
			}
		}
		return "openblas"
	case strings.Contains(strings.ToLower(paths), "mkl"):
		return "mkl"
	case strings.Contains(paths, "/blas/libblas"):
		return ReferenceBLAS
	case paths == "none":
		return "built in"
	}
	return filepath.Base(strings.Split(paths, ";")[0])
}

// ReferenceBLAS is how the report names the reference BLAS: PyTorch's
// products on it are about 10× slower than on OpenBLAS, so the report
// warns when it ran there.
const ReferenceBLAS = "reference BLAS (libblas3)"

// run extracts the scripts into dir (once) and runs one of them with args,
// decoding the JSON it prints.
func (p *python) run(ctx context.Context, dir, script string, args ...string) (*torchOutput, error) {
	if p.scripts == "" {
		sd, err := extractScripts(dir)
		if err != nil {
			return nil, err
		}
		p.scripts = sd
	}
	cmd := exec.CommandContext(ctx, p.path, append([]string{filepath.Join(p.scripts, script)}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench: %s %s: %w: %s", p.path, script, err, tail(stderr.String(), 2000))
	}
	var out torchOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("bench: %s printed no JSON report: %w: %s", script, err, tail(stdout.String()+stderr.String(), 2000))
	}
	return &out, nil
}

// extractScripts copies the embedded scripts into dir/scripts, once, and
// returns that folder.
func extractScripts(dir string) (string, error) {
	sd := filepath.Join(dir, "scripts")
	if _, err := os.Stat(sd); err == nil {
		return sd, nil
	}
	if err := os.CopyFS(sd, scripts.Scripts); err != nil {
		return "", fmt.Errorf("bench: extract scripts: %w", err)
	}
	return sd, nil
}

func (out *torchOutput) find(workload, variant string) *torchResult {
	for i := range out.Results {
		if r := &out.Results[i]; r.Workload == workload && r.Variant == variant {
			return r
		}
	}
	return nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
