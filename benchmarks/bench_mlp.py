"""Sections 1-4 of `make bench`: the course's numpy MLP timed against itself, finite differences,
PyTorch and the machine's own matrix product.  Each function returns plain data (dicts, lists,
numbers) for benchmarks/report.py; nothing here asserts a time.
"""
import cProfile
import pstats

import numpy as np

from benchmarks import flops
from benchmarks.harness import compare, minor_faults, optional_torch, ratio
from benchmarks.mlp import TunedStep, copy_params, course, mlp_sizes, problem, torch_mlp

LR = 0.01


def _timing(t):
    return t.as_dict()


# ---------------------------------------------------------------------------------------------
# 1. The cost of a gradient


def gradient_cost(widths=(64, 256, 1024), depths=(1, 2, 4), n=128, classes=10, rounds=7,
                  target_seconds=0.05, threads=1):
    """(forward + backward) / forward for notebook 05's loss_and_grads / loss_only on notebook 04's
    layers, and for PyTorch autograd on the same network (forward without a graph; forward with
    the graph, then backward).  Also the share of the forward time spent in softmax_cross_entropy,
    which returns the loss's gradient too (so loss_only already does that part of the backward pass)."""
    c = course()
    rows = []
    for depth in depths:
        for width in widths:
            sizes = mlp_sizes(width, depth, classes)
            params, X, labels = problem(sizes, n)
            scores = c.forward_scores(params, X)
            tuned = TunedStep(params, skip_input_grad=False)       # the same products as the notebooks' code
            fns = {"forward": lambda: c.loss_only(params, X, labels),
                   "forward+backward": lambda: c.loss_and_grads(params, X, labels),
                   "tuned forward+backward": lambda: tuned.loss_and_grads(params, X, labels),
                   "loss": lambda: c.softmax_cross_entropy(scores, labels)}
            tm = torch_mlp(params, X, labels, threads=threads)
            if tm is not None:
                fns["torch forward"] = tm.loss
                fns["torch forward+backward"] = tm.loss_and_grads
            res = compare(fns, rounds=rounds, target_seconds=target_seconds)
            row = {"width": width, "depth": depth, "sizes": sizes, "n": n,
                   "parameters": flops.parameters(sizes),
                   "flops_forward": flops.forward(sizes, n),
                   "flops_forward_backward": flops.forward(sizes, n) + flops.backward(sizes, n),
                   "numpy": {"forward": _timing(res["forward"]), "both": _timing(res["forward+backward"]),
                             "ratio": ratio(res["forward+backward"], res["forward"]).as_dict(),
                             "loss_share": ratio(res["loss"], res["forward"]).as_dict(),
                             "faults_forward": minor_faults(fns["forward"]),
                             "faults_both": minor_faults(fns["forward+backward"])},
                   "tuned": {"both": _timing(res["tuned forward+backward"]),
                             "ratio": ratio(res["tuned forward+backward"], res["forward"]).as_dict(),
                             "faults_both": minor_faults(fns["tuned forward+backward"])},
                   "torch": None}
            if tm is not None:
                row["torch"] = {"forward": _timing(res["torch forward"]),
                                "both": _timing(res["torch forward+backward"]),
                                "ratio": ratio(res["torch forward+backward"], res["torch forward"]).as_dict()}
            rows.append(row)
            print(f"    gradient cost: depth {depth}, width {width:5d}: numpy {row['numpy']['ratio']['median']:.2f}, "
                  f"tuned {row['tuned']['ratio']['median']:.2f}"
                  + (f", torch {row['torch']['ratio']['median']:.2f}" if row["torch"] else ""))
    return {"rows": rows, "torch": optional_torch() is not None, "rounds": rounds}


# ---------------------------------------------------------------------------------------------
# 2. Backprop against finite differences


def fd_vs_backprop(hiddens=(2, 8, 32, 128, 512), n=20, inputs=8, classes=4, rounds=5, fd_rounds=3):
    """One gradient of notebook 05's network [8, hidden, 4] on 20 examples, by backprop
    (loss_and_grads) and by finite differences (numerical_grads of loss_only: 2P forward passes)."""
    c = course()
    rows = []
    for hidden in hiddens:
        sizes = [inputs, hidden, classes]
        params, X, labels = problem(sizes, n, seed=1)
        P = flops.parameters(sizes)
        res = compare({"backprop": lambda: c.loss_and_grads(params, X, labels),
                       "forward": lambda: c.loss_only(params, X, labels)}, rounds=rounds, target_seconds=0.02)
        fd = compare({"fd": lambda: c.numerical_grads(lambda p: c.loss_only(p, X, labels), params)},
                     rounds=fd_rounds, number=1, warmup=1)["fd"]
        _, bp = c.loss_and_grads(params, X, labels)
        num = c.numerical_grads(lambda p: c.loss_only(p, X, labels), params)
        err = max(float(np.max(np.abs(bp[k] - num[k])) / max(np.max(np.abs(bp[k])), np.max(np.abs(num[k])), 1e-3))
                  for k in params)
        rows.append({"hidden": hidden, "parameters": P, "backprop": _timing(res["backprop"]),
                     "forward": _timing(res["forward"]), "fd": _timing(fd),
                     "fd_over_backprop": fd.median / res["backprop"].median,
                     "fd_over_2P_forward": fd.median / (2 * P * res["forward"].median),
                     "relative_error": err})
        print(f"    finite differences: P = {P:6d}: {rows[-1]['fd_over_backprop']:8.0f} x backprop")
    return {"rows": rows, "n": n}


# ---------------------------------------------------------------------------------------------
# 3 and 4. A training step against PyTorch, and against the machine's matrix product


def matmul_rate(n=2048, dtypes=("float64", "float32"), rounds=5, threads=1):
    """GFLOP/s of numpy's (and PyTorch's) n x n @ n x n product: 2 n^3 FLOPs."""
    rng = np.random.default_rng(0)
    out = {}
    torch = optional_torch()
    for dtype in dtypes:
        A = rng.standard_normal((n, n)).astype(dtype)
        B = rng.standard_normal((n, n)).astype(dtype)
        fns = {"numpy": lambda: A @ B}
        if torch is not None:
            tA, tB = torch.tensor(A), torch.tensor(B)
            fns["torch"] = lambda: tA @ tB
        res = compare(fns, rounds=rounds, number=1, warmup=1)
        out[dtype] = {name: {"time": _timing(t), "gflops": 2 * n ** 3 / t.median / 1e9,
                             "gflops_best": 2 * n ** 3 / min(t.samples) / 1e9} for name, t in res.items()}
        print(f"    {n} x {n} matrix product, {dtype}: numpy {out[dtype]['numpy']['gflops']:.1f} GFLOP/s"
              + (f", torch {out[dtype]['torch']['gflops']:.1f}" if "torch" in out[dtype] else ""))
    return {"n": n, "rates": out}


def _agreement(params, X, labels, tm_params=None):
    """Largest difference of the parameters after one step: the notebooks' step vs the tuned step
    (and vs PyTorch's, when given its parameters after the same step)."""
    c = course()
    a = copy_params(params)
    c.minibatch_step(a, X, labels, LR)
    b = copy_params(params)
    TunedStep(b)(b, X, labels, LR)
    scale = max(float(np.max(np.abs(v))) for v in a.values())
    out = {"tuned": max(float(np.max(np.abs(a[k] - b[k]))) for k in a) / scale}
    if tm_params is not None:
        out["torch"] = max(float(np.max(np.abs(a[k] - tm_params[k]))) for k in a) / scale
    return out


def step_configs(widths=(64, 128, 256, 512, 1024), n=128):
    """The notebook's digits network and batch, then [w, w, w, 10] on batches of n."""
    return ([{"name": "digits (notebook 05)", "width": 128, "sizes": [64, 128, 10], "n": 32}]
            + [{"name": f"width {w}", "width": w, "sizes": mlp_sizes(w, 2), "n": n} for w in widths])


def training_step(configs=None, dtypes=("float64", "float32"), rounds=7, target_seconds=0.05, threads=1):
    """One SGD step: notebook 05's minibatch_step, the tuned step, PyTorch's (forward, backward,
    torch.optim.SGD), the same network, batch, dtype, starting weights and threads."""
    configs = configs or step_configs()
    c = course()
    rows = []
    for dtype in dtypes:
        for cfg in configs:
            sizes, n = cfg["sizes"], cfg["n"]
            params, X, labels = problem(sizes, n, dtype=dtype)
            tm = torch_mlp(params, X, labels, lr=LR, threads=threads)
            agree = None
            if tm is not None:
                tm.step()
                agree = _agreement(params, X, labels, tm.numpy_params())
                # a comparison of two different computations would mean nothing: refuse it
                limit = 1e-10 if dtype == "float64" else 1e-4
                if not agree["torch"] <= limit:
                    raise RuntimeError(f"PyTorch's network does not take the notebooks' step ({dtype}, "
                                       f"{cfg['name']}): parameters differ by {agree['torch']:.1e} after "
                                       f"one step (limit {limit:g})")
                tm = torch_mlp(params, X, labels, lr=LR, threads=threads)
            else:
                agree = _agreement(params, X, labels)
            p_course, p_tuned = copy_params(params), copy_params(params)
            tuned = TunedStep(p_tuned)
            fns = {"course": lambda: c.minibatch_step(p_course, X, labels, LR),
                   "tuned": lambda: tuned(p_tuned, X, labels, LR)}
            if tm is not None:
                fns["torch"] = tm.step
            res = compare(fns, rounds=rounds, target_seconds=target_seconds)
            row = {**cfg, "dtype": dtype, "parameters": flops.parameters(sizes),
                   "flops_course": flops.step(sizes, n, first_dx=True),
                   "flops_needed": flops.step(sizes, n, first_dx=False),
                   "flops_matmul_share": flops.matmul(sizes, n, first_dx=False) / flops.step(sizes, n, first_dx=False),
                   "agreement": agree, "times": {k: _timing(v) for k, v in res.items()},
                   "faults": {k: minor_faults(fn) for k, fn in fns.items()},
                   "tuned_over_course": ratio(res["tuned"], res["course"]).as_dict()}
            if tm is not None:
                row["course_over_torch"] = ratio(res["course"], res["torch"]).as_dict()
                row["tuned_over_torch"] = ratio(res["tuned"], res["torch"]).as_dict()
            rows.append(row)
            print(f"    training step, {dtype}, {cfg['name']:20s}: course {res['course'].median * 1e3:8.3f} ms, "
                  f"tuned {res['tuned'].median * 1e3:8.3f} ms"
                  + (f", torch {res['torch'].median * 1e3:8.3f} ms" if tm is not None else ""))
    return {"rows": rows, "torch": optional_torch() is not None, "lr": LR}


ABLATION = {
    "notebooks' step (minibatch_step)": None,
    "tuned, all changes off": (False, False, False),
    "no dx for the first layer": (True, False, False),
    "kept gradient and scratch arrays": (False, True, False),
    "bias, ReLU and its mask in place": (False, False, True),
    "all three (the tuned step)": (True, True, True),
}


def ablation(width=1024, n=128, dtype="float64", rounds=9, target_seconds=0.1, threads=1):
    """Each change of the tuned step alone, at one size, in the same rounds as PyTorch's step."""
    c = course()
    sizes = mlp_sizes(width, 2)
    params, X, labels = problem(sizes, n, dtype=dtype)
    fns = {}
    for name, flags in ABLATION.items():
        p = copy_params(params)
        if flags is None:
            fns[name] = (lambda p: lambda: c.minibatch_step(p, X, labels, LR))(p)
        else:
            step = TunedStep(p, *flags)
            fns[name] = (lambda p, step: lambda: step(p, X, labels, LR))(p, step)
    tm = torch_mlp(params, X, labels, lr=LR, threads=threads)
    if tm is not None:
        fns["PyTorch"] = tm.step
    res = compare(fns, rounds=rounds, target_seconds=target_seconds)
    base = res["notebooks' step (minibatch_step)"]
    rows = [{"variant": name, "time": _timing(t), "over_course": ratio(t, base).as_dict(),
             "faults": minor_faults(fns[name]),
             "over_torch": ratio(t, res["PyTorch"]).as_dict() if tm is not None else None}
            for name, t in res.items()]
    return {"width": width, "n": n, "dtype": dtype, "sizes": sizes, "rows": rows}


def profile_step(width=1024, n=128, dtype="float64", steps=20):
    """cProfile of notebook 05's minibatch_step: where its time goes, per function (own time)."""
    c = course()
    sizes = mlp_sizes(width, 2)
    params, X, labels = problem(sizes, n, dtype=dtype)
    for _ in range(2):
        c.minibatch_step(params, X, labels, LR)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        c.minibatch_step(params, X, labels, LR)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
        where = func if filename.startswith("<") or filename == "~" else f"{func} ({filename.rsplit('/', 1)[-1]}:{line})"
        if filename.startswith("<"):
            where = f"{func} ({filename.strip('<>').split(' cell')[0]})"
        rows.append({"function": where, "calls_per_step": nc / steps, "ms_per_step": tt / steps * 1e3,
                     "share": tt / total})
    rows.sort(key=lambda r: -r["ms_per_step"])
    return {"width": width, "n": n, "dtype": dtype, "steps": steps, "ms_per_step": total / steps * 1e3,
            "rows": rows[:8]}
