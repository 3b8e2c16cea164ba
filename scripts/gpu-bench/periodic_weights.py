#!/usr/bin/python3
"""Rewrite an ONNX model's large float initializers as a short repeating pattern
with each tensor's own mean and standard deviation, so that the file compresses
to almost nothing (the GPU benchmark carries ResNet-18 and ViT-B/16 to a machine
with no network: 45 + 330 MiB of random weights would not fit its 60 MiB).

    /usr/bin/python3 scripts/gpu-bench/periodic_weights.py IN.onnx OUT.onnx

Invariants: graph, shapes, dtypes and every initializer under 4,096 elements
(biases, norms, position tables of small models) are unchanged; a larger float32
initializer keeps its mean and std, its values are the same 2,039-element
standard-normal block repeated (2,039 floats = 8 KiB, inside gzip's 32 KiB
window). A step's time does not depend on the values; its numbers stay in the
range of the random-weight export (no overflow, no denormals).
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PERIOD, SMALL = 2039, 4096


def main(src: str, dst: str) -> int:
    m = onnx.load(src)
    block = np.random.default_rng(0).standard_normal(PERIOD).astype(np.float32)
    changed = 0
    for i, t in enumerate(m.graph.initializer):
        a = numpy_helper.to_array(t)
        if a.dtype != np.float32 or a.size < SMALL:
            continue
        reps = -(-a.size // PERIOD)
        v = np.tile(block, reps)[: a.size].reshape(a.shape) * np.float32(a.std()) + np.float32(a.mean())
        m.graph.initializer[i].CopyFrom(numpy_helper.from_array(v.astype(np.float32), t.name))
        changed += 1
    onnx.save(m, dst)
    print(f"{src} -> {dst}: {changed} initializers made periodic")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
