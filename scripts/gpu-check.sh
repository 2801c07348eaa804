#!/usr/bin/env bash
# gpu-check.sh: run actsh's engine conformance test and benchmark on XLA
# CUDA (with JAX's CUDA PJRT plugin when one is installed) and print a short
# report. Every step has a timeout; the whole run stays within
# $GPU_CHECK_BUDGET seconds (default 540), so one 10-minute command holds it.
#
#   scripts/gpu-check.sh prepare   where Go is (no GPU needed): build the
#                                  engine test binary and actsh into .gpucheck/
#                                  (ignored by git), for a GPU machine without Go
#   scripts/gpu-check.sh [run]     on the GPU machine: run the checks, building
#                                  with Go if .gpucheck/ holds no binaries
#
# With the device tool: prepare here, then run command "scripts/gpu-check.sh"
# with carry [".gpucheck"] and timeout_s 600; the report is $OUT/report.txt.
#
# Environment:
#   ACTSH_PJRT_PLUGIN  the PJRT plugin to use (default: JAX's
#                      jax_plugins/xla_cuda*/xla_cuda_plugin.so, found through
#                      python3; else go-xla's own via GOMLX_BACKEND=xla:cuda)
#   GPU_CHECK_BUDGET   seconds for the whole run (default 540)
#   GPU_CHECK_KINDS    engine packages besides engine/ whose tests run on CUDA
#                      (default: unet diffusion, and flux)
#   BENCH_TORCH=0      skip the PyTorch side of the benchmark
#   OUT                folder for the logs and the report (default .gpucheck/out)
set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
bin=$root/.gpucheck
# The other kinds of model: packages with fixture-driven TestConformance…
# tests. Each test binary is about 10 MB gzipped and the device tool
# carries 64 MiB, so by default the UNet's conformance and the tiny
# end-to-end pipelines (diffusion: CLIP, T5, UNet or FLUX, scheduler and
# VAE together), plus FLUX's transformer; GPU_CHECK_KINDS picks others
# (clip t5 vae sched).
kinds=${GPU_CHECK_KINDS:-unet diffusion}
[ -z "${GPU_CHECK_KINDS:-}" ] && [ -d engine/flux ] && kinds="$kinds flux"
export GOMLX_NO_AUTO_INSTALL=1

if [ "${1:-run}" = prepare ]; then
	set -e
	mkdir -p "$bin"
	exclude=$(git rev-parse --git-path info/exclude)
	mkdir -p "$(dirname "$exclude")"
	grep -qxF '/.gpucheck/' "$exclude" 2>/dev/null || echo '/.gpucheck/' >>"$exclude"
	CGO_ENABLED=1 go test -c -ldflags='-s -w' -o "$bin/engine.test" ./engine
	for k in $kinds; do
		CGO_ENABLED=1 go test -c -ldflags='-s -w' -o "$bin/$k.test" "./engine/$k"
	done
	CGO_ENABLED=1 go build -ldflags='-s -w' -o "$bin/actsh" ./cmd/actsh
	gzip -f -9 "$bin/engine.test" "$bin/actsh"
	for k in $kinds; do gzip -f -9 "$bin/$k.test"; done
	du -sh "$bin"
	echo "carry .gpucheck and run scripts/gpu-check.sh on the GPU machine"
	exit 0
fi

out=${OUT:-$bin/out}
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
budget=${GPU_CHECK_BUDGET:-540}
t0=$(date +%s)
results=()

# step NAME LIMIT CMD...: runs CMD with a timeout of LIMIT seconds (less if
# the budget is nearly spent), output to $out/NAME.log, and records
# PASS, FAIL (rc), TIMEOUT or SKIP with the seconds taken.
step() {
	local name=$1 limit=$2 left start rc status
	shift 2
	left=$((budget - ($(date +%s) - t0) - 5))
	if [ "$left" -lt 20 ]; then
		results+=("$(printf '%-18s %-12s %5s  %s' "$name" SKIP - "budget spent")")
		return 0
	fi
	[ "$limit" -gt "$left" ] && limit=$left
	start=$(date +%s)
	timeout -k 5 "$limit" "$@" >"$out/$name.log" 2>&1
	rc=$?
	case $rc in
	0) status=PASS ;;
	124 | 137) status="TIMEOUT(${limit}s)" ;;
	*) status="FAIL(rc=$rc)" ;;
	esac
	results+=("$(printf '%-18s %-12s %5ss  %s' "$name" "$status" $(($(date +%s) - start)) "$(grep -m1 -o 'actsh: backend [^ ]*\|actsh: .* unavailable' "$out/$name.log")")")
}

{
	echo "== gpu-check $(date -u +%FT%TZ) on $(uname -n) ($(uname -m))"
	echo "GPU: $(timeout 20 nvidia-smi -L 2>&1 | head -3 | paste -sd';')"
	echo "driver: $(timeout 20 nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>&1 | head -1)"
} | tee "$out/report.txt"

# Binaries: prepared ones, else build with Go.
if [ -f "$bin/engine.test.gz" ] && [ -f "$bin/actsh.gz" ]; then
	gunzip -kf "$bin/engine.test.gz" "$bin/actsh.gz" && chmod +x "$bin/engine.test" "$bin/actsh"
	for k in $kinds; do [ -f "$bin/$k.test.gz" ] && gunzip -kf "$bin/$k.test.gz" && chmod +x "$bin/$k.test"; done
	echo "binaries: prepared (.gpucheck)" | tee -a "$out/report.txt"
elif command -v go >/dev/null; then
	mkdir -p "$bin"
	step build 300 sh -c "go test -c -o '$bin/engine.test' ./engine && go build -o '$bin/actsh' ./cmd/actsh && for k in $kinds; do go test -c -o '$bin/'\$k.test ./engine/\$k || exit 1; done"
	echo "binaries: built with $(go version)" | tee -a "$out/report.txt"
else
	echo "binaries: none (no Go here and no .gpucheck/*.gz: run 'scripts/gpu-check.sh prepare' where Go is and carry .gpucheck)" | tee -a "$out/report.txt"
	exit 1
fi

# The CUDA plugin: $ACTSH_PJRT_PLUGIN, else JAX's through python3's
# jax_plugins namespace package (found without importing JAX), else go-xla's.
plugin=${ACTSH_PJRT_PLUGIN:-}
if [ -z "$plugin" ]; then
	for py in python3 /usr/bin/python3; do
		command -v "$py" >/dev/null || continue
		plugin=$(timeout 30 "$py" -c '
import glob, importlib.util, os
s = importlib.util.find_spec("jax_plugins")
for d in (s.submodule_search_locations if s else []):
    for p in sorted(glob.glob(os.path.join(d, "xla_cuda*", "xla_cuda_plugin.so")), reverse=True):
        print(p)' 2>/dev/null | head -1)
		[ -n "$plugin" ] && break
	done
fi
cuda_env=(env GOMLX_BACKEND=xla:cuda)
if [ -n "$plugin" ]; then
	site=$(dirname "$(dirname "$(dirname "$plugin")")")
	# JAX preloads NVIDIA's libraries from the nvidia-* wheels; a Go process
	# cannot, so they go on LD_LIBRARY_PATH before it starts.
	libs=$(ls -d "$site"/nvidia/*/lib 2>/dev/null | paste -sd:)
	export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	cuda_env=(env -u GOMLX_BACKEND ACTSH_PJRT_PLUGIN="$plugin")
	{
		echo "plugin: $plugin ($(du -h "$plugin" | cut -f1))"
		echo "nvidia libs: ${libs:-none found under $site/nvidia}"
		echo "ldd, not found: $(timeout 20 ldd "$plugin" 2>&1 | grep 'not found' | paste -sd';' | sed 's/^$/none/')"
	} | tee -a "$out/report.txt"
else
	echo "plugin: no JAX CUDA plugin found; trying go-xla's with GOMLX_BACKEND=xla:cuda ($(ls ~/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so /usr/local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so 2>/dev/null | paste -sd' ' | sed 's/^$/none installed/'))" | tee -a "$out/report.txt"
fi

# The conformance fixtures, and the on-device scoring the evaluations use.
conformance=(-test.run '^(TestConformance|TestScoreTokens|TestForwardLastLogits)$' -test.count=1 -test.v)
(cd engine && step conformance-go 90 env GOMLX_BACKEND=go "$bin/engine.test" "${conformance[@]}"
	step conformance-cuda 180 "${cuda_env[@]}" "$bin/engine.test" "${conformance[@]}"
	# A numeric failure (not a load error) may be TF32 matmuls, which XLA
	# allows for float32 dots on Ampere and later: retry with full float32.
	if grep -q -- '--- FAIL' "$out/conformance-cuda.log" && ! grep -q 'engine: backend' "$out/conformance-cuda.log"; then
		step conformance-cuda-fp32 180 "${cuda_env[@]}" NVIDIA_TF32_OVERRIDE=0 XLA_FLAGS="${XLA_FLAGS:-} --xla_gpu_enable_triton_gemm=false" "$bin/engine.test" "${conformance[@]}"
	fi
	printf '%s\n' "${results[@]}" >"$out/.results")
mapfile -t results <"$out/.results"
rm -f "$out/.results"

torch=(-no-torch)
if [ "${BENCH_TORCH:-1}" != 0 ] && timeout 60 python3 -c 'import torch' 2>/dev/null; then
	torch=(-python "$(command -v python3)")
fi
step bench-cuda 240 sh -c 'exec "$@" >"'"$out"'/bench-cuda.md"' _ "${cuda_env[@]}" "$bin/actsh" bench -workloads prefill,decode -reps 3 -format markdown -save "$out/bench-cuda.json" "${torch[@]}"

# The image pipeline's parts (UNet, VAE, schedulers, CLIP, T5, FLUX) and the
# tiny end-to-end pipelines, on CUDA.
for k in $kinds; do
	[ -x "$bin/$k.test" ] || continue
	(cd "engine/$k" && step "kind-$k-cuda" 90 "${cuda_env[@]}" "$bin/$k.test" -test.count=1
		printf '%s\n' "${results[@]}" >"$out/.results")
	mapfile -t results <"$out/.results"
	rm -f "$out/.results"
done

(cd engine && step engine-cuda 150 "${cuda_env[@]}" "$bin/engine.test" -test.count=1
	printf '%s\n' "${results[@]}" >"$out/.results")
mapfile -t results <"$out/.results"
rm -f "$out/.results"

{
	echo
	printf '%-18s %-12s %6s  %s\n' step result time backend
	printf '%s\n' "${results[@]}"
	for f in conformance-cuda conformance-cuda-fp32 engine-cuda $(for k in $kinds; do echo "kind-$k-cuda"; done); do
		[ -f "$out/$f.log" ] && grep -m4 -- '^actsh: backend\|--- FAIL\|^panic\|engine: backend\|unavailable' "$out/$f.log" | sed "s/^/$f: /" | cut -c1-400
	done
	if [ -s "$out/bench-cuda.md" ]; then
		echo
		echo "benchmark on xla:cuda (${torch[*]}):"
		cat "$out/bench-cuda.md"
	elif [ -f "$out/bench-cuda.log" ]; then
		echo "bench: $(tail -3 "$out/bench-cuda.log" | cut -c1-400)"
	fi
	echo "total $(($(date +%s) - t0))s of ${budget}s; logs in $out"
} | tee -a "$out/report.txt"
