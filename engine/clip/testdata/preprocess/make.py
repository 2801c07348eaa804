"""Makes the fixture of TestPreprocessPIL: test images and the pixel_values
transformers' CLIPImageProcessor (the PIL one) computes from them.

Run with Debian's python3 (python3-pil, python3-numpy); transformers is not
needed: its steps for CLIP are written out below as
transformers/image_transforms.py performs them for a uint8 RGB image.

    /usr/bin/python3 make.py
"""
import json
import struct

import numpy as np
from PIL import Image

SIZE = 32  # shortest_edge and crop_size, the fixture model's image_size
MEAN = [0.48145466, 0.4578275, 0.40821073]  # OPENAI_CLIP_MEAN
STD = [0.26862954, 0.26130258, 0.27577711]  # OPENAI_CLIP_STD

rng = np.random.default_rng(16)


def picture(w, h):
    """Smooth gradients, a hard-edged square and noise: bicubic overshoots
    at the edges, so the clipping to [0, 255] is exercised too."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([255 * x / max(w - 1, 1), 255 * y / max(h - 1, 1), 128 + 100 * np.sin((x + y) / 3.0)], -1)
    img[h // 4 : h // 2, w // 4 : w // 2] = [255, 0, 255]
    img += rng.normal(0, 20, img.shape)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def preprocess(image):
    """CLIPImageProcessor with do_resize (shortest_edge SIZE, bicubic),
    do_center_crop (SIZE x SIZE), do_rescale (1/255), do_normalize."""
    image = image.convert("RGB")
    w, h = image.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = SIZE, int(SIZE * long / short)
    nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
    resized = np.array(image.resize((nw, nh), resample=Image.BICUBIC, reducing_gap=None))
    top, left = (nh - SIZE) // 2, (nw - SIZE) // 2
    x = resized[top : top + SIZE, left : left + SIZE]
    x = (x.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return resized, x.transpose(2, 0, 1)


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        b = a.tobytes()
        dt = {np.dtype(np.float32): "F32", np.dtype(np.uint8): "U8"}[a.dtype]
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# name: (width, height)
cases = {"down": (61, 47), "up": (13, 20), "wide": (100, 40), "cropOnly": (32, 45)}
out = {}
for name, (w, h) in cases.items():
    img = picture(w, h)
    img.save(f"{name}.png")
    resized, px = preprocess(img)
    out[f"{name}.resized"] = np.ascontiguousarray(resized)
    out[f"{name}.pixel_values"] = np.ascontiguousarray(px)
save_safetensors("expected.safetensors", out)
