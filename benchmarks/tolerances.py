"""Measure what the tolerances in autograder/tolerances.py rest on.

    .venv/bin/python benchmarks/tolerances.py

Prints, over 200 seeds of the reference layers used by the tests: the worst
relative error of correct gradients (must stay far below GRAD_RTOL) and the
smallest relative error of planted mistakes (must stay far above it), plus the
time one check_layer call takes.  Figures are reported, never asserted.
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import reference_layers as ref  # noqa: E402
from test_seeds import cases  # noqa: E402

from autograder import check  # noqa: E402
from autograder.tolerances import GRAD_RTOL  # noqa: E402

PLANTS = {
    "sign flipped": lambda g: -g,
    "scaled by 1.01": lambda g: 1.01 * g,
    "one entry off by 1e-3 of the scale": lambda g: g + (np.arange(g.size).reshape(g.shape) == 0) * 1e-3 * np.abs(g).max(),
}


def errors_for(forward, backward, inputs, wrt, seed):
    xs = [np.array(x, dtype=float) for x in inputs]
    wrt = list(range(len(xs))) if wrt is None else wrt
    rng = np.random.default_rng([seed, 0xBAC4])
    out, cache = forward(*xs)
    dout = rng.standard_normal(np.shape(out))
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    result = []
    for slot, i in enumerate(wrt):
        def loss(z, i=i):
            args = [x.copy() for x in xs]
            args[i] = z
            return float(np.sum(forward(*args)[0] * dout))
        oracle = check.oracle_for(loss, xs[i], rng)
        result.append((oracle.error(grads[slot]), {k: oracle.error(p(grads[slot])) for k, p in PLANTS.items()}))
    return result


def main():
    worst, best_plant = {}, {}
    for seed in range(200):
        for forward, backward, inputs, wrt in cases(seed):
            for err, plants in errors_for(forward, backward, inputs, wrt, seed):
                worst[forward.__name__] = max(worst.get(forward.__name__, 0.0), err)
                for k, v in plants.items():
                    best_plant[k] = min(best_plant.get(k, np.inf), v)
    print(f"tolerance GRAD_RTOL = {GRAD_RTOL:.0e}\n")
    print("worst relative error of CORRECT gradients over 200 seeds:")
    for name, err in worst.items():
        print(f"  {name:<22} {err:.1e}   ({GRAD_RTOL / err:,.0f}x below the tolerance)")
    print("\nsmallest relative error of PLANTED mistakes over 200 seeds:")
    for name, err in best_plant.items():
        print(f"  {name:<36} {err:.1e}   ({err / GRAD_RTOL:,.0f}x above the tolerance)")

    r = np.random.default_rng(0)
    x, W, b = r.standard_normal((4, 5)), r.standard_normal((5, 3)), r.standard_normal(3)
    t = time.perf_counter()
    for _ in range(20):
        check.check_layer(ref.affine_forward, ref.affine_backward, x, W, b, quiet=True)
    small = (time.perf_counter() - t) / 20
    x, W, b = r.standard_normal((16, 256)), r.standard_normal((256, 128)), r.standard_normal(128)
    t = time.perf_counter()
    check.check_layer(ref.affine_forward, ref.affine_backward, x, W, b, quiet=True)
    large = time.perf_counter() - t
    print(f"\ncheck_layer on affine (4x5 @ 5x3): {small * 1e3:.1f} ms per call")
    print(f"check_layer on affine (16x256 @ 256x128, W checked along directions): {large * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
