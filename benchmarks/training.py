"""Figures behind notebook 05_training and its checks: reported, never asserted.

    .venv/bin/python benchmarks/training.py [--quick]

1. The digits: test accuracy and training time of the notebook's `fit_digits` on the check's two
   splits (with the check's rngs), over 20 initial seeds, and for other correct recipes; the
   lowest of these is what `DIGITS_THRESHOLD` (95%) must stay below.
2. One step of seed 001's algorithm on 64 digits: example by example against one mini-batch.
3. One gradient by finite differences against backprop, as the parameter count P grows.
4. The initial loss of He's initialisation on the digits over 200 seeds, against ln 10 and the
   check's limit ln 10 + INITIAL_LOSS_MARGIN, and of larger scales.
5. How long each check cell takes (visible and hidden call, as in the notebook; best of 3).
6. With --mistakes: the mistake-replay catalog of 05 (tests/mistakes/05_training.py) graded as
   `course-check grade` would: how many are caught by their part's check, how many named with the
   catalog's key, and the sentence each learner reads.
"""
import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder import load_notebook  # noqa: E402
from autograder.checks import training as check  # noqa: E402
from autograder.datasets import load_digits, standardize, train_test_split  # noqa: E402

# Correct recipes a learner might pick (hidden widths, lr, epochs, batch size).
RECIPES = [
    ([64, 128, 10], 0.1, 40, 32),       # the notebook's
    ([64, 64, 10], 0.1, 30, 32),
    ([64, 64, 10], 0.1, 40, 32),
    ([64, 256, 10], 0.1, 40, 32),
    ([64, 128, 10], 0.05, 40, 32),
    ([64, 64, 10], 0.05, 40, 16),
    ([64, 128, 10], 0.2, 20, 32),
    ([64, 64, 10], 0.5, 60, 64),
    ([64, 128, 128, 10], 0.05, 40, 32),
    ([64, 100, 10], 0.2, 50, 32),
    ([64, 64, 64, 10], 0.1, 30, 32),
    ([64, 32, 10], 0.1, 60, 32),
]


def solution():
    with contextlib.redirect_stdout(io.StringIO()):
        nb = load_notebook(ROOT / "solutions" / "05_training" / "05_training.ipynb")
    if nb.errors:
        raise SystemExit(f"the solution notebook failed: {[e.message for e in nb.errors]}")
    return nb


def split(seed):
    X, labels = load_digits()
    X_train, labels_train, X_test, labels_test = train_test_split(X, labels, 0.25, seed=seed)
    X_train, X_test = standardize(X_train, X_test)
    return X_train, labels_train, X_test, labels_test


def test_accuracy(params, X, labels):
    return float(np.mean(np.argmax(check._scores(params, X), axis=1) == labels))


def digits(sol, seeds):
    print("1. digits: the notebook's fit_digits")
    for name, split_seed, rng_seed in [("notebook's split (visible check)", 0, 2023), ("hidden split", 1, 2024)]:
        X_train, labels_train, X_test, labels_test = split(split_seed)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            params = sol.fit_digits(X_train, labels_train, np.random.default_rng(rng_seed))
        seconds = time.perf_counter() - t0
        print(f"   {name:34s} test accuracy {test_accuracy(params, X_test, labels_test):.2%}, "
              f"training {seconds:.2f} s")
    for split_seed in (0, 1):
        X_train, labels_train, X_test, labels_test = split(split_seed)
        accs, times = [], []
        for seed in range(seeds):
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                params = sol.fit_digits(X_train, labels_train, np.random.default_rng(seed))
            times.append(time.perf_counter() - t0)
            accs.append(test_accuracy(params, X_test, labels_test))
        print(f"   split {split_seed}, {seeds} seeds: test accuracy min {min(accs):.2%}, median "
              f"{statistics.median(accs):.2%}, max {max(accs):.2%}; training {statistics.median(times):.2f} s (median)")
    print(f"   other correct recipes (splits 0 and 1, {min(seeds, 5)} seeds each): lowest test accuracy")
    lowest = 1.0
    for sizes, lr, epochs, batch in RECIPES:
        accs = []
        for split_seed in (0, 1):
            X_train, labels_train, X_test, labels_test = split(split_seed)
            for seed in range(min(seeds, 5)):
                rng = np.random.default_rng(seed)
                params = sol.init_params(sizes, rng)
                with contextlib.redirect_stdout(io.StringIO()):
                    sol.train(params, X_train, labels_train, lr, epochs, batch, rng, print_every=0)
                accs.append(test_accuracy(params, X_test, labels_test))
        lowest = min(lowest, min(accs))
        print(f"     {str(sizes):18s} lr {lr:<5g} {epochs:3d} epochs, batch {batch:3d}: min {min(accs):.2%}, "
              f"median {statistics.median(accs):.2%}")
    print(f"   lowest over all: {lowest:.2%} (threshold {check.DIGITS_THRESHOLD:.0%})\n")


def steps(sol):
    print("2. one step on 64 digits: seed 001 example by example vs one mini-batch")
    X, labels = load_digits()
    X64, labels64 = X[:64], labels[:64]
    a = sol.init_params([64, 32, 10], np.random.default_rng(3))
    b = {k: v.copy() for k, v in a.items()}
    buffers = {k: np.zeros_like(v) for k, v in a.items()}
    sol.per_example_step(a, buffers, X64, labels64, 0.5)
    sol.minibatch_step(b, X64, labels64, 0.5)
    print(f"   largest difference after one step: {max(np.abs(a[k] - b[k]).max() for k in a):.1e}")
    per = min(timed(lambda: sol.per_example_step(a, buffers, X64, labels64, 0.5)) for _ in range(20))
    mini = min(timed(lambda: sol.minibatch_step(b, X64, labels64, 0.5)) for _ in range(200))
    print(f"   per example {per * 1e3:.2f} ms, mini-batch {mini * 1e3:.3f} ms: {per / mini:.0f} times faster\n")


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def gradients(sol):
    print("3. one gradient: finite differences vs backprop (20 examples, 8 inputs, 4 classes)")
    rng = np.random.default_rng(1)
    X, labels = rng.standard_normal((20, 8)), rng.integers(0, 4, 20)
    for hidden in [2, 8, 32, 128, 256]:
        net = sol.init_params([8, hidden, 4], rng)
        P = sum(p.size for p in net.values())
        bp = min(timed(lambda: sol.loss_and_grads(net, X, labels)) for _ in range(50))
        fd = min(timed(lambda: sol.numerical_grads(lambda p: sol.loss_only(p, X, labels), net)) for _ in range(2))
        print(f"   P = {P:5d}: backprop {bp * 1e3:7.3f} ms, finite differences {fd * 1e3:9.1f} ms "
              f"({fd / bp:6.0f} times; {2 * P} forward passes)")
    print()


def initial_loss(sol):
    print(f"4. initial loss on 300 digits, [64, 64, 10], 200 seeds (ln 10 = {np.log(10):.3f}, "
          f"check's limit {np.log(10) + check.INITIAL_LOSS_MARGIN:.3f})")
    X, labels = load_digits()
    for name, factor in [("He", 1.0), ("2 x He", 2.0), ("3 x He", 3.0)]:
        losses = []
        for seed in range(200):
            net = sol.init_params([64, 64, 10], np.random.default_rng(seed))
            net = {k: v * factor if k.startswith("W") else v for k, v in net.items()}
            losses.append(check._loss(net, X[:300], labels[:300]))
        print(f"   {name:7s} min {min(losses):.3f}, median {statistics.median(losses):.3f}, max {max(losses):.3f}")
    print()


def check_times(sol):
    print("5. check cells (visible + hidden call), seconds")
    args = {
        "gradient_descent": (sol.gradient_descent,), "sgd_step": (sol.sgd_step,),
        "init_params": (sol.init_params,), "loss_and_grads": (sol.loss_and_grads,),
        "numerical_grads": (sol.numerical_grads,), "per_example_step": (sol.per_example_step,),
        "minibatch_step": (sol.minibatch_step,), "accuracy": (sol.accuracy,),
        "has_converged": (sol.has_converged,), "train": (sol.train,), "fit_digits": (sol.fit_digits,),
    }
    for key, fns in args.items():
        visible = both = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            getattr(check, key)(*fns, quiet=True)
            t1 = time.perf_counter()
            getattr(check, key)(*fns, hidden=True, quiet=True)
            visible, both = min(visible, t1 - t0), min(both, time.perf_counter() - t0)
        print(f"   {key:18s} visible {visible:.3f}, visible + hidden {both:.3f}")
    print()


def mistakes():
    """Replay every catalogued mistake of 05 through the graded notebook (kernel-free)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from mistakes import catalogs, replay  # noqa: E402
    rows = catalogs()["05_training"]
    caught = named = 0
    print(f"6. mistake replay: {len(rows)} mistakes of tests/mistakes/05_training.py")
    for m in rows:
        outcome = replay("05_training", m)
        caught += outcome.caught
        named += outcome.caught and outcome.key == m.key and m.named
        first = outcome.message.split("\n")[0].removeprefix("CheckFailed: ")
        print(f"   {m.part}:{m.key} ({m.kind}) -> {outcome.key or 'PASSED'}: {first[:160]}")
    print(f"   caught {caught} / {len(rows)}, named with their key {named} / {len(rows)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 seeds instead of 20 for the digits")
    parser.add_argument("--mistakes", action="store_true", help="also replay the mistake catalog (about a minute)")
    args = parser.parse_args(argv)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}\n")
    sol = solution()
    digits(sol, 5 if args.quick else 20)
    steps(sol)
    gradients(sol)
    initial_loss(sol)
    check_times(sol)
    if args.mistakes:
        mistakes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
