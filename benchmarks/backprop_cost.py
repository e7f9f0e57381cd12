"""What notebook 04's vector backprop costs: time of the backward pass, loops vs vectors, checks.

    .venv/bin/python benchmarks/backprop_cost.py             # the three tables below
    .venv/bin/python benchmarks/backprop_cost.py --notebook  # also run the solution notebook in a
                                                             # kernel (nbclient) and time each cell

1. The cheap-gradient principle: the forward and backward pass of the two-layer network
   (``two_layer_net``) against its forward pass alone, at widths 64, 256 and 1024 (inputs and
   hidden units of that width, 10 classes, a batch of 256).  Backprop should cost a small
   constant times the forward pass (about 3: the forward pass has two matrix products, the
   backward pass four).
2. Notebook 03's loop network (the demo copy in notebook 04, ``loop_batch_gradients``) against
   the vector network on the same weights, a batch of 8.
3. Each check of ``autograder.checks.vector_backprop`` on the solution, visible and hidden
   (the course wants every check cell under 0.5 s).

Figures are printed, never asserted: they depend on the machine.  numpy's BLAS runs on one
thread here (set OPENBLAS_NUM_THREADS etc. to change it), so the ratios do not depend on how
busy the other cores are; each time is the best of several runs.
"""
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder import load_notebook  # noqa: E402
from autograder.checks import vector_backprop as check  # noqa: E402

SOLUTION = ROOT / "solutions" / "04_vector_backprop" / "04_vector_backprop.ipynb"


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def net_params(rng, d, h, c):
    return {"W1": rng.standard_normal((d, h)) / np.sqrt(d), "b1": np.zeros(h),
            "W2": rng.standard_normal((h, c)) / np.sqrt(h), "b2": np.zeros(c)}


def cheap_gradient(nb, widths=(64, 256, 1024), n=256, classes=10, repeats=30):
    print(f"1. forward + backward vs forward alone (two_layer_net, ReLU, softmax, N = {n}, {classes} classes)")
    print(f"   {'width':>6} {'forward ms':>11} {'fwd+bwd ms':>11} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for w in widths:
        p = net_params(rng, w, w, classes)
        x, labels = rng.standard_normal((n, w)), rng.integers(0, classes, size=n)

        def forward():
            z1, _ = nb.affine_forward(x, p["W1"], p["b1"])
            h1, _ = nb.relu_forward(z1)
            scores, _ = nb.affine_forward(h1, p["W2"], p["b2"])
            return nb.softmax_cross_entropy(scores, labels)[0]

        both = best(lambda: nb.two_layer_net(x, labels, p), repeats)
        fwd = best(forward, repeats)
        print(f"   {w:>6} {fwd * 1e3:>11.3f} {both * 1e3:>11.3f} {both / fwd:>6.2f}")
    print()


def loops_vs_vectors(nb, widths=(8, 32, 64, 128), n=8):
    print(f"2. notebook 03's loops vs matrix products (sigmoid hidden, squared error, N = {n}, 3 outputs)")
    print(f"   {'width':>6} {'loops ms':>10} {'vectors ms':>11} {'speed-up':>9}")
    rng = np.random.default_rng(1)
    for w in widths:
        p = net_params(rng, w, w, 3)
        x, t = rng.standard_normal((n, w)), rng.standard_normal((n, 3))
        loops = best(lambda: nb.loop_batch_gradients(x, t, p["W1"], p["b1"], p["W2"], p["b2"]), 2)
        vectors = best(lambda: nb.two_layer_net(x, t, p, hidden="sigmoid", loss="mse"), 20)
        print(f"   {w:>6} {loops * 1e3:>10.2f} {vectors * 1e3:>11.3f} {loops / vectors:>8.0f}x")
    print()


def check_times(nb):
    # each part's functions, in the order its check takes them (Exercises(..., functions=...) or the
    # naming convention: the key itself, or key_forward and key_backward)
    args = {}
    for key in check.EXERCISES.keys:
        names = check.EXERCISES.functions.get(key) or (
            (f"{key}_forward", f"{key}_backward") if f"{key}_forward" in nb else (key,))
        args[key] = tuple(getattr(nb, name) for name in names)
    print("3. each check on the solution (ms; a test cell runs the visible and the hidden one)")
    print(f"   {'check':<24} {'visible':>8} {'hidden':>8}")
    for key, fns in args.items():
        visible = best(lambda: getattr(check, key)(*fns, quiet=True), 3)
        hidden = best(lambda: getattr(check, key)(*fns, quiet=True, hidden=True), 3)
        print(f"   {key:<24} {visible * 1e3:>8.1f} {hidden * 1e3:>8.1f}")
    print()


def notebook_cells():
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(str(SOLUTION), as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(SOLUTION.parent)}})
    times = []
    start_all = time.perf_counter()
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            start = time.perf_counter()
            client.execute_cell(cell, i)
            times.append((time.perf_counter() - start, cell.get("id")))
    total = time.perf_counter() - start_all
    print(f"4. the solution notebook in a kernel: {total:.2f} s with kernel start-up, "
          f"{sum(t for t, _ in times):.2f} s in cells; the slowest cells:")
    for seconds, cid in sorted(times, reverse=True)[:6]:
        print(f"   {cid:<28} {seconds * 1e3:8.0f} ms")


if __name__ == "__main__":
    notebook = load_notebook(SOLUTION)
    if notebook.errors:
        sys.exit(f"the solution notebook failed to load: {[e.message for e in notebook.errors]}")
    cheap_gradient(notebook)
    loops_vs_vectors(notebook)
    check_times(notebook)
    if "--notebook" in sys.argv:
        notebook_cells()
