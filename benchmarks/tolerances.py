"""Measure what the tolerances in autograder/tolerances.py rest on.

    .venv/bin/python benchmarks/tolerances.py

Prints, over 200 seeds of the reference layers used by the tests: the worst
relative error of correct gradients (must stay far below GRAD_RTOL) and the
smallest relative error of planted mistakes (must stay far above it); what the
kink detection sees on smooth layers (the bend of the one-sided differences next
to the slope: must stay below KINK_BEND_RTOL) and on layers with kinks placed
within a step of their inputs (correct code must never fail); the time one
check_layer call takes.  Figures are reported, never asserted.
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import reference_layers as ref  # noqa: E402
from test_seeds import cases  # noqa: E402

from autograder import check, numeric  # noqa: E402
from autograder.tolerances import GRAD_RTOL, KINK_BEND_RTOL  # noqa: E402

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


def smooth_bends():
    """Over 200 seeds of the smooth reference layers: the largest |bend| / slope among entries
    whose bend matters (> KINK_HARMLESS * scale), how many entries a check settles at once with
    smaller steps (bend > KINK_BEND_RTOL * slope), how many it would settle only after a failure
    (gentle bends), and how many are left out once all are settled (must be 0: no kinks here)."""
    ratios, at_once, soft, left_out, entries = [], 0, 0, 0, 0
    for seed in range(200):
        rng = np.random.default_rng([seed, 0xBAC4])
        for forward, backward, inputs, wrt in cases(seed):
            xs = [np.array(x, dtype=float) for x in inputs]
            dout = rng.standard_normal(np.shape(forward(*xs)[0]))
            for i in (range(len(xs)) if wrt is None else wrt):
                def loss(z, i=i):
                    args = [x.copy() for x in xs]
                    args[i] = z
                    return float(np.sum(forward(*args)[0] * dout))
                diffs = numeric.EntryDifferences(loss, xs[i])
                _, bend, slope, _ = diffs.first
                matters = ~numeric.harmless(diffs.first, diffs.scale)
                ratios.extend(np.abs(bend[matters]) / slope[matters])
                at_once += int((matters & ~numeric.gentle(diffs.first)).sum())
                soft += len(diffs._soft)
                diffs.sharpen()
                left_out += int(diffs.kinked.sum())
                entries += xs[i].size
    return np.array(ratios), at_once, soft, left_out, entries


def near_kink_cases(seed):
    """ReLU, max gate and hinge loss with some inputs placed within a step of a kink: offsets
    10**U(-9, -4.5) (the step is 1e-5 for inputs of size <= 1), either sign, or exactly 0."""
    r = np.random.default_rng(seed)

    def offsets(k):
        off = 10.0 ** r.uniform(-9, -4.5, size=k) * r.choice([-1.0, 1.0], size=k)
        off[r.random(k) < 0.15] = 0.0
        return off
    z = r.standard_normal((6, 5))
    z.flat[r.choice(z.size, 8, replace=False)] = offsets(8)
    x = r.standard_normal((4, 5))
    y = x + r.choice([-1.0, 1.0], size=x.shape) * r.uniform(0.2, 1.0, size=x.shape)
    ties = r.choice(x.size, 6, replace=False)
    y.flat[ties] = x.flat[ties] + offsets(6)
    labels = r.integers(0, 4, size=7)
    scores = r.standard_normal((7, 4)) * 2
    for row in range(7):
        j = (labels[row] + 1 + r.integers(0, 3)) % 4
        scores[row, j] = scores[row, labels[row]] - 1.0 + offsets(1)[0]
    return [(ref.relu_forward, ref.relu_backward, (z,), None),
            (ref.max_forward, ref.max_backward, (x, y), None),
            (ref.hinge_forward, ref.hinge_backward, (scores, np.eye(4)[labels]), [0])]


def near_kinks(seeds=200):
    """Correct layers near their kinks: failures (must be 0) and entries left out."""
    failures, left_out, checks = 0, 0, 0
    import contextlib
    import io
    for seed in range(seeds):
        for forward, backward, inputs, wrt in near_kink_cases(seed):
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    check.check_layer(forward, backward, *inputs, wrt=wrt, seed=seed)
            except AssertionError as exc:
                failures += 1
                print("  FAILED:", forward.__name__, seed, str(exc).splitlines()[0])
            text = out.getvalue()
            left_out += sum(int(w) for w in __import__("re").findall(r"(\d+) entr(?:y|ies) of", text))
            checks += 1
    return failures, left_out, checks


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

    ratios, at_once, soft, left_out, entries = smooth_bends()
    print(f"\nkinks, smooth layers over 200 seeds ({entries} entries, {ratios.size} with a bend that matters): "
          f"|bend| / slope median {np.median(ratios):.1e}, 99.9th percentile {np.quantile(ratios, 0.999):.1e}, "
          f"largest {ratios.max():.1e} (KINK_BEND_RTOL {KINK_BEND_RTOL:.0e})")
    print(f"  settled with smaller steps at once: {at_once} entries; only after a failure: {soft}; "
          f"left out once all are settled: {left_out}")
    failures, left_out, checks = near_kinks()
    print(f"kinks, ReLU, max gate, hinge loss with inputs within a step of a kink, 200 seeds: "
          f"{failures} of {checks} correct checks failed; {left_out} entries left out in all")

    # Process time, best of 5 rounds: other processes on the machine do not count.
    r = np.random.default_rng(0)
    x, W, b = r.standard_normal((4, 5)), r.standard_normal((5, 3)), r.standard_normal(3)
    rounds = []
    for _ in range(5):
        t = time.process_time()
        for _ in range(20):
            check.check_layer(ref.affine_forward, ref.affine_backward, x, W, b, quiet=True)
        rounds.append((time.process_time() - t) / 20)
    small = min(rounds)
    x, W, b = r.standard_normal((16, 256)), r.standard_normal((256, 128)), r.standard_normal(128)
    t = time.process_time()
    check.check_layer(ref.affine_forward, ref.affine_backward, x, W, b, quiet=True)
    large = time.process_time() - t
    print(f"\ncheck_layer on affine (4x5 @ 5x3): {small * 1e3:.1f} ms per call")
    print(f"check_layer on affine (16x256 @ 256x128, W checked along directions): {large * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
