#!/usr/bin/env python3
"""Convert pytorch-fid's FID Inception weights (a torch state dict, .pth) to the safetensors file atdiff reads.

Usage:
    python3 convert_inception_weights.py pt_inception-2015-12-05-6726825d.pth inception-fid.safetensors

Needs only torch. Keeps pytorch-fid's tensor names (Conv2d_1a_3x3.conv.weight, Mixed_5b.branch1x1.bn.running_mean,
...), stores them as float32, and drops what the pool3 features never read: the classifier fc.* and BatchNorm's
num_batches_tracked counters. The file is written directly (8-byte little-endian header length, JSON header,
raw little-endian bytes), so the safetensors package is not required.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import torch

_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.uint8: "U8"}


def save_safetensors(tensors, path, metadata=None):
    """Write an ordered mapping name -> CPU tensor as a safetensors file (tensors are made contiguous)."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if t.dtype not in _DTYPES:
            raise ValueError("tensor %r has unsupported dtype %s" % (name, t.dtype))
        array = t.detach().cpu().contiguous().numpy()
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def pool3_state_dict(state_dict):
    """The tensors the FID features need, as float32, in the file's order."""
    kept = {}
    for name, t in state_dict.items():
        if name.startswith("fc.") or name.endswith("num_batches_tracked"):
            continue
        if not torch.is_floating_point(t):
            raise ValueError("tensor %r is not floating point (%s)" % (name, t.dtype))
        kept[name] = t.to(torch.float32)
    return kept


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pth", help="pytorch-fid state dict, e.g. pt_inception-2015-12-05-6726825d.pth")
    parser.add_argument("out", help="safetensors file to write (fid.inception-weights)")
    args = parser.parse_args(argv)
    state_dict = torch.load(args.pth, map_location="cpu")
    if not isinstance(state_dict, dict):
        raise SystemExit("%s does not hold a state dict" % args.pth)
    with open(args.pth, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    tensors = pool3_state_dict(state_dict)
    save_safetensors(tensors, args.out, {"source": os.path.basename(args.pth), "source_sha256": sha256,
                                         "network": "pytorch-fid FID Inception-v3 (pool3)"})
    print("wrote %d tensors to %s" % (len(tensors), args.out))


if __name__ == "__main__":
    main(sys.argv[1:])
