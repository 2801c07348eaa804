#!/usr/bin/python3
"""Builds testdata/reference/diffusion/vae16: a tiny random-weight FLUX-like
AutoencoderKL (16 latent channels, FLUX.1's scaling_factor 0.3611 and
shift_factor 0.1159, no quant_conv / post_quant_conv) in diffusers' folder
layout, and what diffusers v0.30.0's own code computes with it, in the
format of ../vae (see ../README.md).

Expected values come from diffusers itself, not a reimplementation: the
model is built by diffusers' AutoencoderKL from the config below, written
with save_pretrained, read back with from_pretrained (so the folder layout
is checked too), then

    decoder_input = latents / scaling_factor + shift_factor   (FluxPipeline)
    decoded       = vae.decode(decoder_input).sample
    d             = vae.encode(image).latent_dist             (mean, logvar)

are recorded in float32. The same model and inputs in float64 give the
float32-vs-float64 differences that meta.json reports; the tolerances are
about ten times those (rounded up to one significant digit).

Needs Debian's python3-torch (1.13) python3-numpy python3-pil python3-tqdm
python3-filelock python3-regex python3-importlib-metadata, and diffusers
v0.30.0's src/ (nothing is installed from a package index):

    git -C <diffusers clone> archive v0.30.0 src | tar -x -C /tmp/diffusers030
    /usr/bin/python3 testdata/reference/diffusion/vae16/make_fixture.py /tmp/diffusers030/src

diffusers imports huggingface_hub and safetensors, which Debian lacks; the
script writes minimal stand-ins for both into a temporary folder on
sys.path: the hub functions are never reached for a local folder, and the
safetensors stand-in reads and writes the format with numpy. torch 1.13
has no scaled_dot_product_attention, so the mid blocks' attention runs
diffusers' classic AttnProcessor, as for ../vae.

It rewrites vae/, expected.safetensors and meta.json next to itself.
"""

import json
import math
import os
import struct
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 108

CONFIG = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
    "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
    "block_out_channels": [16, 32],
    "layers_per_block": 2,
    "act_fn": "silu",
    "latent_channels": 16,
    "norm_num_groups": 8,
    "sample_size": 32,
    "scaling_factor": 0.3611,
    "shift_factor": 0.1159,
    "latents_mean": None,
    "latents_std": None,
    "force_upcast": True,
    "use_quant_conv": False,
    "use_post_quant_conv": False,
    "mid_block_add_attention": True,
}

# Latents [B, 16, h, w] with an odd width, two images in a batch.
LATENT_SHAPE = (2, 16, 6, 5)

# ---------------------------------------------------------------------------
# Stand-ins for the two packages diffusers imports but Debian lacks.

HUB = {
    "__init__.py": '''
__version__ = "0.24.0"

def _offline(*args, **kwargs):
    raise RuntimeError("huggingface_hub stand-in: no hub access in fixture generation")

create_repo = hf_hub_download = model_info = snapshot_download = upload_folder = create_commit = _offline

class ModelCard:
    pass

class ModelCardData:
    pass

class _Split:
    def __init__(self, state_dict, pattern):
        name = pattern.format(suffix="")
        self.filename_to_tensors = {name: list(state_dict)}
        self.tensor_to_filename = {k: name for k in state_dict}
        self.is_sharded = False
        self.metadata = {}

def split_torch_state_dict_into_shards(state_dict, max_shard_size=None, filename_pattern="model{suffix}.safetensors"):
    return _Split(state_dict, filename_pattern)
''',
    "constants.py": '''
import os
HF_HOME = os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
HF_HUB_CACHE = os.path.join(HF_HOME, "hub")
HF_HUB_DISABLE_TELEMETRY = True
HF_HUB_OFFLINE = True
''',
    "file_download.py": '''
import re
REGEX_COMMIT_HASH = re.compile(r"^[0-9a-f]{40}$")
''',
    "utils.py": '''
class EntryNotFoundError(Exception):
    pass

class LocalEntryNotFoundError(EntryNotFoundError):
    pass

class OfflineModeIsEnabled(ConnectionError):
    pass

class RepositoryNotFoundError(Exception):
    pass

class RevisionNotFoundError(Exception):
    pass

def is_jinja_available():
    return False

def validate_hf_hub_args(fn):
    return fn
''',
    "_commit_api.py": '''
class CommitOperationAdd:
    pass
''',
}

SAFETENSORS = {
    "__init__.py": '''
from . import torch  # diffusers calls safetensors.torch.load_file / save_file
from .torch import safe_open
''',
    "torch.py": '''
import json
import struct

import numpy as np
import torch as _torch

_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}

def save_file(tensors, filename, metadata=None):
    header = {"__metadata__": dict(metadata or {})}
    blobs, off = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy())
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(filename, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

def load_file(filename, device="cpu"):
    with open(filename, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = _torch.from_numpy(arr.astype(_DTYPES[info["dtype"]]).reshape(info["shape"]).copy())
    return out

class safe_open:
    def __init__(self, filename, framework="pt", device="cpu"):
        self._t = load_file(filename, device)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def keys(self):
        return list(self._t)

    def get_tensor(self, name):
        return self._t[name]
''',
}


def write_standins(root):
    for pkg, files in (("huggingface_hub", HUB), ("safetensors", SAFETENSORS)):
        os.makedirs(os.path.join(root, pkg))
        for name, src in files.items():
            with open(os.path.join(root, pkg, name), "w") as f:
                f.write(src.lstrip())
        # diffusers asks importlib.metadata for the versions.
        info = os.path.join(root, pkg + "-0.0.0.dist-info")
        os.makedirs(info)
        with open(os.path.join(info, "METADATA"), "w") as f:
            f.write("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (pkg, "0.24.0" if pkg == "huggingface_hub" else "0.4.0"))


# ---------------------------------------------------------------------------


def init_weights(model, seed):
    """Draws every parameter in sorted-name order from one RandomState, as
    the other diffusion fixtures: conv/linear weights N(0, 1/fan_in), biases
    N(0, 0.05²), norm weights 1 + N(0, 0.1²)."""
    import torch

    rs = np.random.RandomState(seed)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name in sorted(params):
            p = params[name]
            shape = tuple(p.shape)
            if name.endswith(".bias"):
                v = rs.normal(0.0, 0.05, shape)
            elif len(shape) == 1:  # GroupNorm weight
                v = 1.0 + rs.normal(0.0, 0.1, shape)
            else:
                fan_in = int(np.prod(shape[1:]))
                v = rs.normal(0.0, math.sqrt(1.0 / fan_in), shape)
            p.copy_(torch.from_numpy(v.astype(np.float32)))


def save_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, off = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        kind = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": kind, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def ceil1(x):
    """x rounded up to one significant digit."""
    e = math.floor(math.log10(x))
    return math.ceil(x / 10**e) * 10**e


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_fixture.py <diffusers v0.30.0 src/>")
    stand = tempfile.mkdtemp(prefix="vae16-standins-")
    write_standins(stand)
    sys.path[:0] = [stand, os.path.abspath(sys.argv[1])]

    import torch
    import diffusers
    from diffusers import AutoencoderKL

    assert diffusers.__version__ == "0.30.0", diffusers.__version__

    torch.manual_seed(0)
    built = AutoencoderKL(**CONFIG)
    init_weights(built, SEED)
    out_dir = os.path.join(HERE, "vae")
    built.save_pretrained(out_dir, safe_serialization=True)
    vae = AutoencoderKL.from_pretrained(out_dir, use_safetensors=True).eval()
    sd_built, sd_loaded = built.state_dict(), vae.state_dict()
    assert sorted(sd_built) == sorted(sd_loaded)
    for k in sd_built:
        assert torch.equal(sd_built[k], sd_loaded[k]), k
    assert vae.quant_conv is None and vae.post_quant_conv is None
    processor = type(vae.decoder.mid_block.attentions[0].processor).__name__

    rs = np.random.RandomState(SEED + 1)
    latents = rs.normal(0.0, 1.0, LATENT_SHAPE).astype(np.float32)
    s = 2 ** (len(CONFIG["block_out_channels"]) - 1)
    image = rs.uniform(-1.0, 1.0, (LATENT_SHAPE[0], 3, LATENT_SHAPE[2] * s, LATENT_SHAPE[3] * s)).astype(np.float32)

    def run(model, lat, img):
        with torch.no_grad():
            # FluxPipeline: latents = (latents / vae.config.scaling_factor) + vae.config.shift_factor
            dec_in = (lat / model.config.scaling_factor) + model.config.shift_factor
            decoded = model.decode(dec_in, return_dict=False)[0]
            dist = model.encode(img).latent_dist
            return dec_in, decoded, dist.mean, dist.logvar

    dec_in, decoded, mean, logvar = run(vae, torch.from_numpy(latents), torch.from_numpy(image))
    vae64 = AutoencoderKL.from_pretrained(out_dir, use_safetensors=True).eval().double()
    _, decoded64, mean64, logvar64 = run(vae64, torch.from_numpy(latents).double(), torch.from_numpy(image).double())
    diff = {
        "decoded": float((decoded.double() - decoded64).abs().max()),
        "encode_mean": float((mean.double() - mean64).abs().max()),
        "encode_logvar": float((logvar.double() - logvar64).abs().max()),
    }
    tol = {
        "decoded_atol": ceil1(10 * diff["decoded"]),
        "encode_atol": ceil1(10 * max(diff["encode_mean"], diff["encode_logvar"])),
        "rtol": 1e-4,
    }

    key = "flux"
    tensors = {
        key + ".latents": latents,
        key + ".decoder_input": dec_in.numpy(),
        key + ".decoded": decoded.numpy(),
        key + ".image": image,
        key + ".encode_mean": mean.numpy(),
        key + ".encode_logvar": logvar.numpy(),
    }
    save_safetensors(os.path.join(HERE, "expected.safetensors"), tensors, {"format": "pt"})

    def stats(a):
        return {"std": round(float(a.std()), 4), "maxabs": round(float(np.abs(a).max()), 4)}

    with open(os.path.join(out_dir, "config.json")) as f:
        saved_config = json.load(f)
    meta = {
        "what": "diffusers AutoencoderKL shaped like FLUX.1's VAE (16 latent channels, scaling_factor 0.3611, "
        "shift_factor 0.1159, no quant_conv/post_quant_conv), tiny random weights: decoder output for a "
        "given latent as FluxPipeline unscales it, and encoder moments",
        "variant": "A",
        "reference": "huggingface/diffusers v0.30.0 autoencoder_kl.py / vae.py, run as they are; built, saved "
        "with save_pretrained and loaded with AutoencoderKL.from_pretrained; mid-block attention uses the "
        "classic %s" % processor,
        "script": "make_fixture.py (this folder)",
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "weights_init": "numpy RandomState(seed), sorted parameter names: conv/linear weights N(0, 1/fan_in), "
        "biases N(0, 0.05^2), norm weights 1 + N(0, 0.1^2); inputs from RandomState(seed + 1): latents "
        "N(0, 1), then image U(-1, 1)",
        "tolerances_float32": {key: tol},
        "models": {
            key: {
                "checkpoint": "vae/config.json + vae/diffusion_pytorch_model.safetensors",
                "seed": SEED,
                "config": {k: v for k, v in saved_config.items() if not k.startswith("_")},
                "scale_factor_spatial": s,
                "decoder_input_rule": "decoder_input = latents / scaling_factor + shift_factor (FluxPipeline)",
                "call_decode": "vae.decode(decoder_input).sample",
                "call_encode": "d = vae.encode(image).latent_dist; encode_mean = d.mean, encode_logvar = d.logvar "
                "(logvar clamped to [-30, 20] by DiagonalGaussianDistribution)",
                "f32_vs_f64_decoded_maxabs": diff["decoded"],
                "f32_vs_f64_encode_mean_maxabs": diff["encode_mean"],
                "f32_vs_f64_encode_logvar_maxabs": diff["encode_logvar"],
                "stats": {
                    "decoded": stats(tensors[key + ".decoded"]),
                    "encode_mean": stats(tensors[key + ".encode_mean"]),
                },
                "tolerances_float32": tol,
            }
        },
        "tensors": {n: {"dtype": "F32", "shape": list(a.shape)} for n, a in sorted(tensors.items())},
    }
    with open(os.path.join(HERE, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps({"diff": diff, "tol": tol, "processor": processor}, indent=2))


if __name__ == "__main__":
    main()
