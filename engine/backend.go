package engine

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // GoMLX's pure-Go backend, always available

	"github.com/actsh/actsh/engine/cpu"
)

var (
	backendOnce sync.Once
	backendVal  backends.Backend
	backendName string
	backendErr  error
)

// detectXLA returns the XLA backend configuration for an installed PJRT
// plugin ("xla:cuda" first), or "" when none is installed or the XLA
// backend is not linked (builds without cgo).
var detectXLA = func() string { return "" }

// hasGPU reports whether an NVIDIA GPU is present (its device files exist),
// as go-xla decides before it tries a CUDA plugin.
var hasGPU = func() bool {
	m, _ := filepath.Glob("/dev/nvidia*")
	return len(m) > 0
}

// PluginEnv names the environment variable that points actsh at a PJRT
// plugin file (or a folder holding one), such as the CUDA plugin of a JAX
// installation, .../site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so.
const PluginEnv = "ACTSH_PJRT_PLUGIN"

// Backend returns the process-wide GoMLX backend and its configuration,
// creating it on first use:
//
//  1. $GOMLX_BACKEND, when set, is used as is (e.g. "go", "xla:cuda"),
//     except that "xla:cuda" without an installed go-xla CUDA plugin uses
//     the plugin of $ACTSH_PJRT_PLUGIN or of a JAX installation (below);
//  2. otherwise $ACTSH_PJRT_PLUGIN, a PJRT plugin file or a folder holding
//     one, loaded by its path;
//  3. otherwise XLA when go-xla's CUDA plugin is installed, found by
//     searching the plugin folders as go-xla does
//     ($PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla,
//     /usr/local/lib/go-xla, the system library folders);
//  4. otherwise, on a machine with an NVIDIA GPU, the CUDA plugin of a JAX
//     installation (jax_plugins/xla_cuda*/xla_cuda_plugin.so in the
//     site-packages of $VIRTUAL_ENV, $CONDA_PREFIX, $PYTHONPATH, the first
//     python3 on $PATH, pyenv, ~/.local and the system Pythons; newest
//     CUDA first);
//  5. otherwise another installed go-xla plugin (e.g. "xla:cpu");
//  6. otherwise our CPU backend ("cpu", package engine/cpu: Go-assembly
//     matrix kernels, the KV cache written in place; the remaining
//     operations run on GoMLX's pure-Go backend, "go", which
//     GOMLX_BACKEND=go selects alone).
//
// Plugins are never downloaded (GoMLX's auto-install is switched off). A
// plugin found by searching (3–5) that fails to start falls back to the
// CPU backend with a message; one asked for (1, 2) is an error naming
// the plugin. The choice is reported once on stderr.
func Backend() (backends.Backend, string, error) {
	backendOnce.Do(func() {
		backendVal, backendName, backendErr = openBackend(os.LookupEnv, os.Stderr)
	})
	return backendVal, backendName, backendErr
}

// backendChoice is a backend configuration and how it was chosen.
type backendChoice struct {
	config   string // for backends.NewWithConfig: "go", "xla:cuda", "xla:/path/to/plugin.so"
	name     string // reported as the model's backend ("xla:cuda" for a CUDA plugin given by path)
	why      string // how it was chosen, for the announcement and errors
	fallback bool   // on failure, use the CPU backend instead of failing
	hint     string // appended to a failure: what to check
}

// chooseBackend applies the order of [Backend] to the environment read
// through lookup.
func chooseBackend(lookup func(string) (string, bool)) (backendChoice, error) {
	getenv := func(k string) string { v, _ := lookup(k); return v }
	config := getenv("GOMLX_BACKEND")
	plugin := getenv(PluginEnv)
	switch {
	case config != "" && (config != "xla:cuda" || detectXLA() == "xla:cuda"):
		return backendChoice{config: config, name: config, why: "GOMLX_BACKEND=" + config}, nil
	case plugin != "":
		path, err := resolvePlugin(plugin)
		if err != nil {
			return backendChoice{}, fmt.Errorf("engine: %s=%s: %w", PluginEnv, plugin, err)
		}
		return pluginChoice(path, PluginEnv+"="+plugin, false), nil
	case config == "xla:cuda":
		if p := jaxPlugins(pythonSites(getenv)); len(p) > 0 {
			return pluginChoice(p[0], "GOMLX_BACKEND=xla:cuda, JAX's CUDA plugin", false), nil
		}
		return backendChoice{config: config, name: config, why: "GOMLX_BACKEND=" + config,
			hint: "no CUDA PJRT plugin found: install go-xla's (its installer) or JAX's (pip install \"jax[cuda13]\"), or set " + PluginEnv}, nil
	}
	x := detectXLA()
	if x == "xla:cuda" {
		return backendChoice{config: x, name: x, why: "go-xla's CUDA plugin", fallback: true}, nil
	}
	if hasGPU() {
		if p := jaxPlugins(pythonSites(getenv)); len(p) > 0 {
			return pluginChoice(p[0], "JAX's CUDA plugin", true), nil
		}
	}
	if x != "" {
		return backendChoice{config: x, name: x, why: "an installed go-xla plugin", fallback: true}, nil
	}
	return backendChoice{config: cpu.Name, name: cpu.Name, why: "no GPU plugin; set GOMLX_BACKEND=xla:cuda for GPU"}, nil
}

// pluginChoice runs XLA on the plugin file at path (absolute).
func pluginChoice(path, why string, fallback bool) backendChoice {
	if !strings.HasSuffix(why, path) {
		why += " " + path
	}
	c := backendChoice{config: "xla:" + path, name: "xla:" + path, why: why, fallback: fallback}
	if isCUDAPlugin(path) {
		c.name = "xla:cuda"
	}
	if site, ok := jaxSite(path); ok {
		nv := filepath.Join(site, "nvidia")
		c.hint = fmt.Sprintf("JAX's plugin needs the NVIDIA wheels in %s (pip install \"jax[cuda13]\") and the driver's libcuda.so.1; if a library is missing, start with LD_LIBRARY_PATH listing the folders %s",
			nv, filepath.Join(nv, "*", "lib"))
	}
	return c
}

// openBackend creates the backend chosen by chooseBackend, reporting the
// choice on w.
func openBackend(lookup func(string) (string, bool), w io.Writer) (backends.Backend, string, error) {
	c, err := chooseBackend(lookup)
	if err != nil {
		return nil, "", err
	}
	if _, ok := jaxSite(strings.TrimPrefix(c.config, "xla:")); ok {
		// go-xla looks for NVIDIA's libraries beside its own plugin layout
		// and warns when they are not there; JAX's layout keeps them in
		// site-packages/nvidia, which the plugin finds by its RUNPATH.
		if _, set := lookup("GOPJRT_CUDA_CHECKS"); !set {
			os.Setenv("GOPJRT_CUDA_CHECKS", "0")
		}
	}
	b, err := newBackend(c.config)
	if err == nil {
		desc := ""
		if c.name != "go" {
			desc = ": " + b.Description() // XLA: the plugin, its PJRT C API version and the devices; cpu: its kernels
		}
		fmt.Fprintf(w, "actsh: backend %s (%s)%s\n", c.name, c.why, desc)
		return b, c.name, nil
	}
	msg := err.Error()
	if c.hint != "" {
		msg += "; " + c.hint
	}
	if !c.fallback {
		return nil, "", fmt.Errorf("engine: backend %s (%s): %s", c.name, c.why, msg)
	}
	fmt.Fprintf(w, "actsh: %s (%s) unavailable: %s; using the CPU backend\n", c.name, c.why, msg)
	b, err = newBackend(cpu.Name)
	if err != nil {
		return nil, "", fmt.Errorf("engine: backend %q: %w", cpu.Name, err)
	}
	return b, cpu.Name, nil
}

func newBackend(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v (registered backends: %v)", r, backends.List())
		}
	}()
	return backends.NewWithConfig(config)
}

// resolvePlugin turns the value of $ACTSH_PJRT_PLUGIN into an absolute
// plugin file: the file itself, or the one plugin file in a folder
// (xla_cuda_plugin.so as JAX names it, or pjrt_c_api_<name>_plugin.so,
// pjrt_plugin_<name>.so, pjrt-plugin-<name>.so as go-xla does).
func resolvePlugin(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("no such plugin file or folder (want a PJRT plugin .so, e.g. site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so)")
	}
	if !st.IsDir() {
		return abs, nil
	}
	var found []string
	for _, pat := range []string{"xla_*_plugin.so", "pjrt_c_api_*_plugin.so", "pjrt_plugin_*.so", "pjrt-plugin-*.so"} {
		m, _ := filepath.Glob(filepath.Join(abs, pat))
		found = append(found, m...)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("folder %s holds no PJRT plugin (xla_*_plugin.so, pjrt_c_api_*_plugin.so, pjrt_plugin_*.so)", abs)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("folder %s holds several PJRT plugins (%s): name one file", abs, strings.Join(found, ", "))
}

// isCUDAPlugin reports whether a plugin file is a CUDA one by its name.
func isCUDAPlugin(path string) bool {
	return strings.Contains(strings.ToLower(filepath.Base(path)), "cuda") ||
		strings.Contains(strings.ToLower(filepath.Base(filepath.Dir(path))), "cuda")
}

// jaxSite returns the site-packages folder of a plugin installed by JAX
// (<site>/jax_plugins/xla_cuda<N>/xla_cuda_plugin.so).
func jaxSite(path string) (string, bool) {
	dir := filepath.Dir(path)
	if filepath.Base(filepath.Dir(dir)) != "jax_plugins" || !strings.HasPrefix(filepath.Base(dir), "xla_") {
		return "", false
	}
	return filepath.Dir(filepath.Dir(dir)), true
}

// systemPythons are the installation prefixes of system-wide Pythons.
var systemPythons = []string{"/usr/local", "/opt/conda", "/usr"}

// pythonSites lists the Python package folders where a JAX installation
// may live, most specific first: $PYTHONPATH, then lib/python3*/
// {site,dist}-packages under $VIRTUAL_ENV, $CONDA_PREFIX, the prefix of the
// first python3 on $PATH, pyenv's versions, ~/.local, /usr/local,
// /opt/conda and /usr.
func pythonSites(getenv func(string) string) []string {
	var prefixes []string
	for _, k := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if v := getenv(k); v != "" {
			prefixes = append(prefixes, v)
		}
	}
	// The Python first on $PATH: <prefix>/bin/python3.
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if filepath.Base(dir) != "bin" {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, "python3")); err == nil && !st.IsDir() {
			prefixes = append(prefixes, filepath.Dir(dir))
			break
		}
	}
	var sites []string
	for _, p := range filepath.SplitList(getenv("PYTHONPATH")) {
		if p != "" {
			sites = append(sites, p)
		}
	}
	home := getenv("HOME")
	if home != "" {
		pyenv := getenv("PYENV_ROOT")
		if pyenv == "" {
			pyenv = filepath.Join(home, ".pyenv")
		}
		v, _ := filepath.Glob(filepath.Join(pyenv, "versions", "*"))
		prefixes = append(prefixes, v...)
		prefixes = append(prefixes, filepath.Join(home, ".local"))
	}
	prefixes = append(prefixes, systemPythons...)
	for _, pre := range prefixes {
		for _, sub := range []string{"site-packages", "dist-packages"} {
			m, _ := filepath.Glob(filepath.Join(pre, "lib", "python3*", sub))
			sites = append(sites, m...)
		}
	}
	return sites
}

// jaxPlugins returns the CUDA PJRT plugins of the JAX installations in
// sites (jax_plugins/xla_cuda<N>/xla_cuda_plugin.so), the newest CUDA
// major version first, then in the order of sites.
func jaxPlugins(sites []string) []string {
	type found struct {
		path string
		cuda int
	}
	var all []found
	seen := map[string]bool{}
	for _, s := range sites {
		m, _ := filepath.Glob(filepath.Join(s, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
		for _, p := range m {
			abs, err := filepath.Abs(p)
			if err != nil || seen[abs] {
				continue
			}
			seen[abs] = true
			n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(filepath.Dir(abs)), "xla_cuda"))
			all = append(all, found{abs, n})
		}
	}
	slices.SortStableFunc(all, func(a, b found) int { return cmp.Compare(b.cuda, a.cuda) })
	out := make([]string, len(all))
	for i, f := range all {
		out[i] = f.path
	}
	return out
}
