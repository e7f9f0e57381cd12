"""Measure what the VJP memory check of notebook 02 rests on.

    .venv/bin/python benchmarks/vjp_memory.py

`autograder.checks.jacobian` fails a VJP whose peak numpy allocation at
n = VJP_MEMORY_D exceeds VJP_BYTES_PER_ENTRY * n bytes (it "built the full
Jacobian").  This prints the peak of several correct VJPs (written in
different styles) and of VJPs that build J, so the limit can be seen to sit
far from both.  Figures are reported, never asserted.
"""
import tracemalloc

import numpy as np

from autograder.checks.jacobian import VJP_BYTES_PER_ENTRY, VJP_MEMORY_D
from autograder.checks.reference import sigmoid, softmax


def peak(fn, *args):
    tracemalloc.start()
    fn(*args)
    used = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return used


CORRECT = {
    "sigmoid: v * s * (1 - s)": lambda z, v: v * sigmoid(z) * (1 - sigmoid(z)),
    "sigmoid: naive 1/(1+exp(-z)), z moderate": lambda z, v: v * (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))),
    "softmax: s * (v - v.s)": lambda z, v: softmax(z) * (v - np.dot(v, softmax(z))),
    "softmax: s*v - s*(s@v), extra temporaries": lambda z, v: softmax(z) * v - softmax(z) * (softmax(z) @ v),
}
BUILDS_J = {
    "sigmoid: np.diag(s * (1 - s)).T @ v": lambda z, v: np.diag(sigmoid(z) * (1 - sigmoid(z))).T @ v,
    "softmax: (diag(s) - outer(s, s)).T @ v": lambda z, v: (np.diag(softmax(z)) - np.outer(softmax(z), softmax(z))).T @ v,
}

if __name__ == "__main__":
    n = VJP_MEMORY_D
    limit = VJP_BYTES_PER_ENTRY * n
    rng = np.random.default_rng(0)
    z, v = rng.uniform(-3, 3, n), rng.standard_normal(n)
    print(f"n = {n}; the check's limit: {limit / 1e3:.0f} kB ({VJP_BYTES_PER_ENTRY} bytes per entry)\n")
    for title, table in [("correct VJPs (must stay below)", CORRECT), ("VJPs that build J (must exceed)", BUILDS_J)]:
        print(title)
        for name, fn in table.items():
            used = peak(fn, z, v)
            print(f"  {name:45s} {used / 1e3:9.1f} kB   ({used / limit:.2g} x the limit)")
        print()
