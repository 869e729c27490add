#!/usr/bin/env python3
"""Dequantization goldens for every GGUF tensor type Tern reads, from real quantized files.

For each type, the first tensor of that type in the given files (in the order given) with a
row length of at least 512; from up to four of its rows (first, last, two chosen by a fixed seed) a
stretch of SEGMENT elements (whole blocks, at a fixed-seed offset): the raw bytes and the `gguf`
package's numpy dequantization of them, as the float32 bits (base64, little-endian), so the
Swift test (Tests/KernelsTests/QuantGoldenTests.swift) compares bit for bit without the big files.

    make_quant_golden.py FILE.gguf ... [-o Tests/Fixtures/quants]

The committed fixtures: scripts/golden/make-quant-golden (SmolLM2-135M-Instruct.Q4_1.gguf for
Q4_1 and the F32 norm weights of a trained model; llama.cpp's llama-quantize on the random-weight
Llama-3.2-1B shape of scripts/shapes/make_shape_gguf.py for every other type).
"""
import argparse
import base64
import json
import os

import numpy as np
import gguf

TYPES = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
         "IQ4_NL", "IQ4_XS"]
SEGMENT = 512  # elements per stored row stretch: two 256-blocks or sixteen 32-blocks
MIN_ROW = 512


def find_tensor(readers, type_name):
    """The first tensor of `type_name` (a matrix, or a vector for F32) in the files."""
    qtype = gguf.GGMLQuantizationType[type_name]
    for path, reader in readers:
        for t in reader.tensors:
            if t.tensor_type == qtype and int(t.shape[0]) >= MIN_ROW:
                return path, t
    raise SystemExit(f"no tensor of type {type_name} with rows of >= {MIN_ROW} elements in the given files")


def rows_of(tensor):
    """The tensor's raw bytes as (rows, row bytes)."""
    row_len = int(tensor.shape[0])
    n_rows = int(np.prod(tensor.shape[1:])) if len(tensor.shape) > 1 else 1
    return tensor.data.view(np.uint8).reshape(n_rows, -1), row_len


def golden(type_name, path, tensor, rng):
    raw, row_len = rows_of(tensor)
    block, type_size = gguf.GGML_QUANT_SIZES[tensor.tensor_type]
    n_rows = raw.shape[0]
    picks = sorted(set([0, n_rows - 1] + [int(r) for r in rng.integers(0, n_rows, 2)]))
    seg = min(SEGMENT, row_len)
    out = []
    for r in picks:
        start = int(rng.integers(0, (row_len - seg) // block + 1)) * block  # first element, whole blocks
        b0, b1 = start // block * type_size, (start + seg) // block * type_size
        data = np.ascontiguousarray(raw[r, b0:b1])
        values = gguf.quants.dequantize(data, tensor.tensor_type).astype(np.float32).reshape(-1)
        assert values.size == seg
        out.append({"row": r, "start": start, "bytes": base64.b64encode(data.tobytes()).decode(),
                    "values": base64.b64encode(values.astype("<f4").tobytes()).decode()})
    return {"type": type_name, "type_id": int(tensor.tensor_type), "file": os.path.basename(path),
            "tensor": tensor.name, "row_length": row_len, "count": seg, "rows": out}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("-o", "--out", default="Tests/Fixtures/quants")
    args = ap.parse_args()
    readers = [(p, gguf.GGUFReader(p)) for p in args.files]
    os.makedirs(args.out, exist_ok=True)
    for i, type_name in enumerate(TYPES):
        path, tensor = find_tensor(readers, type_name)
        g = golden(type_name, path, tensor, np.random.default_rng(1000 + i))
        with open(os.path.join(args.out, f"{type_name}.json"), "w") as f:
            json.dump(g, f, indent=1)
            f.write("\n")
        print(f"{type_name}: {g['file']} {g['tensor']} rows {[r['row'] for r in g['rows']]}")


if __name__ == "__main__":
    main()
