package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

// fakePython makes a site-packages folder under prefix holding JAX CUDA
// plugins (files with junk content) for each CUDA major version given,
// and returns the site folder and the plugin paths.
func fakePython(t *testing.T, prefix string, cuda ...string) (site string, plugins []string) {
	t.Helper()
	site = filepath.Join(prefix, "lib", "python3.12", "site-packages")
	if err := os.MkdirAll(site, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range cuda {
		dir := filepath.Join(site, "jax_plugins", "xla_cuda"+c)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "xla_cuda_plugin.so")
		if err := os.WriteFile(p, []byte("not an ELF file"), 0o644); err != nil {
			t.Fatal(err)
		}
		plugins = append(plugins, p)
	}
	return site, plugins
}

// stubMachine replaces the machine probes for one test: the go-xla plugin
// found by searching, whether a GPU is present, and the system Pythons.
func stubMachine(t *testing.T, xla string, gpu bool) {
	t.Helper()
	d, h, s := detectXLA, hasGPU, systemPythons
	t.Cleanup(func() { detectXLA, hasGPU, systemPythons = d, h, s })
	detectXLA = func() string { return xla }
	hasGPU = func() bool { return gpu }
	systemPythons = nil
}

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestJAXPlugins(t *testing.T) {
	root := t.TempDir()
	venv, _ := fakePython(t, filepath.Join(root, "venv"), "12")
	user, _ := fakePython(t, filepath.Join(root, "home", ".local"), "13", "12")
	empty := filepath.Join(venv, "jax_plugins", "xla_cuda14") // no .so: ignored
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	got := jaxPlugins([]string{venv, user, venv})
	want := []string{
		filepath.Join(user, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"),
		filepath.Join(venv, "jax_plugins", "xla_cuda12", "xla_cuda_plugin.so"),
		filepath.Join(user, "jax_plugins", "xla_cuda12", "xla_cuda_plugin.so"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("jaxPlugins =\n%v, want\n%v", got, want)
	}
}

func TestPythonSites(t *testing.T) {
	stubMachine(t, "", false)
	root := t.TempDir()
	venv, _ := fakePython(t, filepath.Join(root, "venv"))
	onPath, _ := fakePython(t, filepath.Join(root, "opt", ".venv"))
	bin := filepath.Join(root, "opt", ".venv", "bin")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "python3"), nil, 0o755)
	pyenv, _ := fakePython(t, filepath.Join(root, "home", ".pyenv", "versions", "3.12.1"))
	local, _ := fakePython(t, filepath.Join(root, "home", ".local"))
	got := pythonSites(func(k string) string {
		return map[string]string{"VIRTUAL_ENV": filepath.Join(root, "venv"), "HOME": filepath.Join(root, "home"), "PYTHONPATH": "/x:/y",
			"PATH": "/nonexistent/bin:" + bin + ":/usr/bin"}[k]
	})
	want := []string{"/x", "/y", venv, onPath, pyenv, local}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pythonSites =\n%v, want\n%v", got, want)
	}
}

func TestChooseBackend(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	_, jax := fakePython(t, filepath.Join(home, ".local"), "12", "13")
	cuda13 := jax[1]
	two := filepath.Join(root, "two")
	for _, f := range []string{"pjrt_c_api_cuda_plugin.so", "pjrt_c_api_cpu_plugin.so"} {
		os.MkdirAll(two, 0o755)
		os.WriteFile(filepath.Join(two, f), nil, 0o644)
	}
	for _, tc := range []struct {
		name      string
		env       map[string]string
		installed string // what go-xla's search finds
		gpu       bool
		config    string // want
		nameWant  string
		fallback  bool
		err       string // want an error containing this
	}{
		{name: "nothing", config: "cpu", nameWant: "cpu"},
		{name: "GOMLX_BACKEND", env: map[string]string{"GOMLX_BACKEND": "go"}, installed: "xla:cuda", gpu: true, config: "go", nameWant: "go"},
		{name: "go-xla cuda", installed: "xla:cuda", gpu: true, config: "xla:cuda", nameWant: "xla:cuda", fallback: true},
		{name: "JAX with GPU", env: map[string]string{"HOME": home}, gpu: true, config: "xla:" + cuda13, nameWant: "xla:cuda", fallback: true},
		{name: "JAX before go-xla cpu", env: map[string]string{"HOME": home}, installed: "xla:cpu", gpu: true, config: "xla:" + cuda13, nameWant: "xla:cuda", fallback: true},
		{name: "JAX without GPU", env: map[string]string{"HOME": home}, installed: "xla:cpu", config: "xla:cpu", nameWant: "xla:cpu", fallback: true},
		{name: "plugin file", env: map[string]string{PluginEnv: jax[0], "HOME": home}, config: "xla:" + jax[0], nameWant: "xla:cuda"},
		{name: "plugin folder", env: map[string]string{PluginEnv: filepath.Dir(jax[0])}, installed: "xla:cuda", gpu: true, config: "xla:" + jax[0], nameWant: "xla:cuda"},
		{name: "plugin missing", env: map[string]string{PluginEnv: filepath.Join(root, "nope.so")}, err: "ACTSH_PJRT_PLUGIN=" + filepath.Join(root, "nope.so") + ": no such plugin file or folder"},
		{name: "plugin folder ambiguous", env: map[string]string{PluginEnv: two}, err: "holds several PJRT plugins"},
		{name: "plugin empty folder", env: map[string]string{PluginEnv: home}, err: "holds no PJRT plugin"},
		{name: "xla:cuda from JAX", env: map[string]string{"GOMLX_BACKEND": "xla:cuda", "HOME": home}, gpu: true, config: "xla:" + cuda13, nameWant: "xla:cuda"},
		{name: "xla:cuda from plugin", env: map[string]string{"GOMLX_BACKEND": "xla:cuda", PluginEnv: jax[0], "HOME": home}, gpu: true, config: "xla:" + jax[0], nameWant: "xla:cuda"},
		{name: "xla:cuda installed", env: map[string]string{"GOMLX_BACKEND": "xla:cuda", PluginEnv: jax[0]}, installed: "xla:cuda", gpu: true, config: "xla:cuda", nameWant: "xla:cuda"},
		{name: "xla:cuda nowhere", env: map[string]string{"GOMLX_BACKEND": "xla:cuda"}, gpu: true, config: "xla:cuda", nameWant: "xla:cuda"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stubMachine(t, tc.installed, tc.gpu)
			c, err := chooseBackend(env(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.config != tc.config || c.name != tc.nameWant || c.fallback != tc.fallback {
				t.Errorf("choice %+v, want config %q, name %q, fallback %v", c, tc.config, tc.nameWant, tc.fallback)
			}
		})
	}
}

// TestOpenBackendBadPlugin checks that a plugin file that cannot be loaded
// is a clear error when asked for by $ACTSH_PJRT_PLUGIN, and falls back to
// the CPU backend, saying why, when found by searching.
func TestOpenBackendBadPlugin(t *testing.T) {
	t.Setenv("GOPJRT_CUDA_CHECKS", "1") // restored after the test
	root := t.TempDir()
	home := filepath.Join(root, "home")
	_, jax := fakePython(t, filepath.Join(home, ".local"), "13")

	stubMachine(t, "", true)
	_, _, err := openBackend(env(map[string]string{PluginEnv: jax[0]}), new(bytes.Buffer))
	if err == nil {
		t.Fatal("a junk plugin file loaded")
	}
	t.Logf("junk plugin: %v", err)
	for _, want := range []string{"engine: backend xla:cuda", PluginEnv + "=" + jax[0], "LD_LIBRARY_PATH"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	var out bytes.Buffer
	b, name, err := openBackend(env(map[string]string{"HOME": home}), &out)
	if err != nil || name != "cpu" || b == nil {
		t.Fatalf("openBackend = %v, %q, %v; want the CPU backend", b, name, err)
	}
	t.Logf("found junk plugin: %s", out.String())
	for _, want := range []string{"JAX's CUDA plugin " + jax[0], "unavailable", "using the CPU backend"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("message %q does not mention %q", out.String(), want)
		}
	}

	// A real shared library that is no PJRT plugin: go-xla's loader names
	// the missing entry point.
	if !slices.Contains(backends.List(), "xla") {
		t.Skip("XLA backend not linked (no cgo)")
	}
	libs, _ := filepath.Glob("/lib/*-linux-gnu/libm.so.6")
	if len(libs) == 0 {
		libs, _ = filepath.Glob("/usr/lib/*-linux-gnu/libm.so.6")
	}
	if len(libs) == 0 {
		t.Skip("no libm.so.6 to try as a plugin")
	}
	_, _, err = openBackend(env(map[string]string{PluginEnv: libs[0]}), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "GetPjrtApi") {
		t.Errorf("error %v, want one naming the missing GetPjrtApi", err)
	}
}
