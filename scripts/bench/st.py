"""Minimal safetensors reader and writer for the actsh bench scripts.

Debian ships no `safetensors` package, so the scripts read the files the Go
bench writes with struct + torch.frombuffer: an 8-byte little-endian header
length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__":
{...}}, then the raw little-endian data.
"""

import json
import os
import struct
import tempfile

import torch

_DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "I64": torch.int64,
    "I32": torch.int32,
    "BF16": torch.bfloat16,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def read(path):
    """Returns ({name: tensor}, metadata) for the safetensors file at path."""
    data = bytearray(os.path.getsize(path))  # one copy, even for a 5 GB checkpoint
    with open(path, "rb") as f:
        f.readinto(data)
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, info in header.items():
        dtype = _DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        count = (end - start) // torch.tensor([], dtype=dtype).element_size()
        t = torch.frombuffer(data, dtype=dtype, count=count, offset=base + start)
        out[name] = t.reshape(info["shape"])
    return out, meta


def write(path, tensors, metadata=None):
    """Writes {name: tensor} (F32/F64/I64/I32, contiguous) to path atomically."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous().cpu()
        b = t.numpy().tobytes()
        header[name] = {
            "dtype": _NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [off, off + len(b)],
        }
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".st-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
