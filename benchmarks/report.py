"""docs/benchmarks.md and its plots, written from the results of benchmarks/run.py (a dict, also
saved as benchmarks.json next to the report).  Every number in the report comes from the results;
the text around them only says what the numbers show when the numbers show it.
"""
import statistics

TARGETS = {
    "gradient_ratio": 3.2,          # (forward + backward) / forward
    "step_small": 1.0,              # course step / PyTorch step, widths up to 256
    "step_large": 1.3,              # the same at width 1024
    "flop_fraction": 0.5,           # step FLOP rate / numpy's large matmul FLOP rate, width 1024
    "check_cell": 0.5,              # seconds per check cell
    "self_check": 10.0,             # seconds for course-check progress
    "solo": 20.0,                   # one student's whole course (issue 10)
    "class30": 360.0,               # a class of 30 (issue 10)
}
SMALL_WIDTH = 256
LARGE_WIDTH = 1024
IMG = "img"


# ---------------------------------------------------------------------------------------------
# Formatting


def ms(seconds):
    value = seconds * 1e3
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def secs(seconds):
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def rng(stat, digits=2):
    """'median (lo-hi)' of a Stat dict."""
    return f"{stat['median']:.{digits}f} ({stat['lo']:.{digits}f}-{stat['hi']:.{digits}f})"


def mark(ok):
    if ok is None:
        return "skipped"
    return "met" if ok else "**missed**"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def median(values):
    return statistics.median(values)


def section(results, name):
    s = results.get("sections", {}).get(name)
    return s["data"] if s else None


# ---------------------------------------------------------------------------------------------
# Targets


def step_rows(data, dtype=None):
    rows = data["rows"] if data else []
    return [r for r in rows if dtype is None or r["dtype"] == dtype]


def flop_rates(step, peak):
    """[{dtype, who, gflops, fraction}] for the width-1024 rows of the training-step section,
    FLOPs counted as the step needs them (no dx for the first layer), fraction of numpy's rate."""
    out = []
    if not step or not peak:
        return out
    for row in step["rows"]:
        if row["width"] != LARGE_WIDTH or row["name"].startswith("digits"):
            continue
        rate = peak["rates"].get(row["dtype"], {}).get("numpy")
        if not rate:
            continue
        for who, t in row["times"].items():
            gflops = row["flops_needed"] / t["median"] / 1e9
            out.append({"dtype": row["dtype"], "who": who, "gflops": gflops,
                        "fraction": gflops * 1e9 / (rate["gflops"] * 1e9)})
    return out


def targets(results):
    """[{target, limit, measured, met}] for every target whose section was run."""
    out = []
    grad = section(results, "gradient")
    if grad:
        worst = max(grad["rows"], key=lambda r: r["numpy"]["ratio"]["median"])
        out.append({"what": "1. (forward + backward) / forward, course's numpy MLP, every width and depth",
                    "target": f"<= {TARGETS['gradient_ratio']}",
                    "measured": f"{worst['numpy']['ratio']['median']:.2f} at worst (depth {worst['depth']}, width {worst['width']})",
                    "met": worst["numpy"]["ratio"]["median"] <= TARGETS["gradient_ratio"]})
        if all(r.get("tuned") for r in grad["rows"]):
            worst = max(grad["rows"], key=lambda r: r["tuned"]["ratio"]["median"])
            out.append({"what": "1. the same products, gradients written into kept arrays (benchmarks/mlp.py)",
                        "target": f"<= {TARGETS['gradient_ratio']}",
                        "measured": f"{worst['tuned']['ratio']['median']:.2f} at worst (depth {worst['depth']}, width {worst['width']})",
                        "met": worst["tuned"]["ratio"]["median"] <= TARGETS["gradient_ratio"]})
    step = section(results, "step")
    if step and not step["torch"]:
        out.append({"what": "3. the course's step / PyTorch's step", "target": f"<= {TARGETS['step_small']} "
                    f"(widths up to {SMALL_WIDTH}), <= {TARGETS['step_large']} (width {LARGE_WIDTH})",
                    "measured": "PyTorch is not installed", "met": None})
    if step and step["torch"]:
        for dtype in sorted({r["dtype"] for r in step["rows"]}):
            for who in ("course", "tuned"):
                key = f"{who}_over_torch"
                small = [r for r in step_rows(step, dtype) if r["width"] <= SMALL_WIDTH]
                large = [r for r in step_rows(step, dtype) if r["width"] == LARGE_WIDTH]
                label = "notebooks' step" if who == "course" else "tuned step"
                if small:
                    worst = max(small, key=lambda r: r[key]["median"])
                    out.append({"what": f"3. {label} / PyTorch step, {dtype}, widths up to {SMALL_WIDTH}",
                                "target": f"<= {TARGETS['step_small']}",
                                "measured": f"{worst[key]['median']:.2f} at worst ({worst['name']})",
                                "met": worst[key]["median"] <= TARGETS["step_small"]})
                if large:
                    r = large[0]
                    out.append({"what": f"3. {label} / PyTorch step, {dtype}, width {LARGE_WIDTH}",
                                "target": f"<= {TARGETS['step_large']}", "measured": f"{r[key]['median']:.2f}",
                                "met": r[key]["median"] <= TARGETS["step_large"]})
    for rate in flop_rates(step, section(results, "peak")):
        if rate["who"] == "torch":
            continue
        label = "notebooks' step" if rate["who"] == "course" else "tuned step"
        out.append({"what": f"4. {label}'s FLOP rate / numpy's matmul rate, width {LARGE_WIDTH}, {rate['dtype']}",
                    "target": f">= {TARGETS['flop_fraction']:.0%}",
                    "measured": f"{rate['fraction']:.0%} ({rate['gflops']:.1f} GFLOP/s)",
                    "met": rate["fraction"] >= TARGETS["flop_fraction"]})
    cells = section(results, "check_cells")
    if cells:
        worst = max(((nb, c) for nb, d in cells.items() for c in d["cells"]), key=lambda x: x[1]["median"])
        out.append({"what": "5. every check cell, in-process (the check alone)",
                    "target": f"< {TARGETS['check_cell']} s",
                    "measured": f"{worst[1]['median']:.3f} s at worst ({worst[0]} {worst[1]['grade_id']})",
                    "met": worst[1]["median"] < TARGETS["check_cell"],
                    "note": f"CPU {worst[1]['cpu']:.3f} s" if "cpu" in worst[1] else ""})
    kernel = section(results, "notebooks")
    if kernel:
        pairs = [(nb, gid, t["median"]) for nb, d in kernel.items() for gid, t in d["tests"].items()]
        if pairs:
            worst = max(pairs, key=lambda x: x[2])
            cpu = next((c.get("cpu") for c in (cells or {}).get(worst[0], {}).get("cells", [])
                        if c["grade_id"] == worst[1]), None)
            out.append({"what": "5. every check cell, in a Jupyter kernel (what a learner waits)",
                        "target": f"< {TARGETS['check_cell']} s",
                        "measured": f"{worst[2]:.3f} s at worst ({worst[0]} {worst[1]})",
                        "met": worst[2] < TARGETS["check_cell"],
                        "note": f"its CPU time in-process: {cpu:.3f} s" if cpu is not None else ""})
    check = section(results, "self_check")
    if check:
        for folder, d in check.items():
            t = median(d["seconds"])
            out.append({"what": f"5. `{d['command']}`", "target": f"< {TARGETS['self_check']:g} s",
                        "measured": f"{t:.1f} s", "met": t < TARGETS["self_check"],
                        "note": f"CPU {median(d['cpu']):.1f} s" if d.get("cpu") else ""})
    grading = section(results, "grading")
    if grading:
        n = len(grading["solo_assignments"])
        out.append({"what": f"5. `course-check class`, one student's whole course ({n} assignments; issue 10's target)",
                    "target": f"<= {TARGETS['solo']:g} s", "measured": f"{grading['solo_seconds']:.1f} s",
                    "met": grading["solo_seconds"] <= TARGETS["solo"],
                    "note": f"CPU {grading['solo_cpu']:.1f} s" if grading.get("solo_cpu") is not None else ""})
        size = grading["class_size"]
        limit = TARGETS["class30"] * size / 30
        out.append({"what": f"5. `course-check class`, a class of {size} on {grading['class_assignment']} (issue 10's target, scaled to {size})",
                    "target": f"<= {limit:g} s", "measured": f"{grading['class_seconds']:.1f} s",
                    "met": grading["class_seconds"] <= limit,
                    "note": f"CPU {grading['class_cpu']:.1f} s" if grading.get("class_cpu") is not None else ""})
    return out


# ---------------------------------------------------------------------------------------------
# Plots


def plots(results, img_dir):
    """Write the PNGs; returns {name: file name relative to the report}."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img_dir.mkdir(parents=True, exist_ok=True)
    made = {}

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(img_dir / name, dpi=110)
        plt.close(fig)
        made[name.removesuffix(".png")] = f"{IMG}/{name}"

    grad = section(results, "gradient")
    if grad:
        panels = [("numpy", "the course's numpy MLP")] + ([("torch", "PyTorch autograd")] if grad["torch"] else [])
        fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 3.8), squeeze=False, sharey=True)
        for ax, (who, title) in zip(axes[0], panels):
            for i, depth in enumerate(sorted({r["depth"] for r in grad["rows"]})):
                rows = [r for r in grad["rows"] if r["depth"] == depth]
                w = [r["width"] for r in rows]
                series = [(who, "o-", f"{depth} hidden")]
                if who == "numpy":
                    series = [("numpy", "o-", f"notebooks' code, {depth} hidden"),
                              ("tuned", "s:", f"kept arrays, {depth} hidden")]
                for key, style, label in series:
                    med = [r[key]["ratio"]["median"] for r in rows]
                    err = [[m - r[key]["ratio"]["lo"] for m, r in zip(med, rows)],
                           [r[key]["ratio"]["hi"] - m for m, r in zip(med, rows)]]
                    ax.errorbar(w, med, yerr=err, fmt=style, color=f"C{i}", capsize=3, label=label, alpha=0.85)
            ax.axhline(TARGETS["gradient_ratio"], color="red", lw=1, ls=":", label=f"target {TARGETS['gradient_ratio']}")
            ax.axhline(3.0, color="gray", lw=0.8, ls="-.", label="3 (cheap-gradient principle)")
            ax.set_xscale("log", base=2)
            ax.set(xlabel="width (inputs and hidden units)", title=title)
            ax.legend(fontsize=7)
            ax.grid(True, alpha=0.3)
        axes[0][0].set_ylabel("(forward + backward) / forward")
        fig.suptitle(f"The cost of a gradient (batch {grad['rows'][0]['n']}, float64)", fontsize=11)
        save(fig, "bench_gradient_cost.png")

    fd = section(results, "fd")
    if fd:
        rows = fd["rows"]
        P = [r["parameters"] for r in rows]
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        ax.loglog(P, [r["fd"]["median"] * 1e3 for r in rows], "o-", label="finite differences (numerical_grads)")
        ax.loglog(P, [2 * r["parameters"] * r["forward"]["median"] * 1e3 for r in rows], "k:",
                  label="2P forward passes (2P x measured forward time)")
        ax.loglog(P, [r["backprop"]["median"] * 1e3 for r in rows], "s-", label="backprop (loss_and_grads)")
        ax.set(xlabel="number of parameters P", ylabel="time for one gradient (ms)",
               title=f"One gradient, [8, hidden, 4], {fd['n']} examples")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        save(fig, "bench_fd_vs_backprop.png")

    step = section(results, "step")
    if step and step["torch"]:
        dtypes = sorted({r["dtype"] for r in step["rows"]}, reverse=True)
        fig, axes = plt.subplots(1, len(dtypes), figsize=(5.2 * len(dtypes), 3.8), squeeze=False)
        for ax, dtype in zip(axes[0], dtypes):
            rows = [r for r in step_rows(step, dtype) if not r["name"].startswith("digits")]
            w = [r["width"] for r in rows]
            for key, style, label in (("course_over_torch", "o-", "notebooks' step / PyTorch"),
                                      ("tuned_over_torch", "s-", "tuned step / PyTorch")):
                med = [r[key]["median"] for r in rows]
                err = [[m - r[key]["lo"] for m, r in zip(med, rows)], [r[key]["hi"] - m for m, r in zip(med, rows)]]
                ax.errorbar(w, med, yerr=err, fmt=style, capsize=3, label=label)
            ax.plot([min(w), SMALL_WIDTH], [TARGETS["step_small"]] * 2, "r:", label="targets")
            ax.plot([LARGE_WIDTH], [TARGETS["step_large"]], "r_", markersize=18)
            ax.annotate(f"{TARGETS['step_large']} at {LARGE_WIDTH}", (LARGE_WIDTH, TARGETS["step_large"]),
                        textcoords="offset points", xytext=(-8, -12), ha="right", fontsize=7, color="red")
            ax.set_xscale("log", base=2)
            ax.set(xlabel="width", ylabel="time ratio (below 1: numpy faster)",
                   title=f"One training step, {dtype}, batch {rows[0]['n']}")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        save(fig, "bench_training_step.png")

    rates = flop_rates(step, section(results, "peak"))
    peak = section(results, "peak")
    if rates:
        dtypes = sorted({r["dtype"] for r in rates}, reverse=True)
        fig, ax = plt.subplots(figsize=(6.8, 3.6))
        labels, values, colors = [], [], []
        for dtype in dtypes:
            for name, who, color in (("numpy matmul", ("peak", "numpy"), "gray"), ("torch matmul", ("peak", "torch"), "silver"),
                                     ("notebooks' step", ("step", "course"), "C0"), ("tuned step", ("step", "tuned"), "C1"),
                                     ("PyTorch step", ("step", "torch"), "C2")):
                if who[0] == "peak":
                    v = peak["rates"][dtype].get(who[1], {}).get("gflops")
                else:
                    v = next((r["gflops"] for r in rates if r["dtype"] == dtype and r["who"] == who[1]), None)
                if v is None:
                    continue
                labels.append(f"{name}\n{dtype}")
                values.append(v)
                colors.append(color)
        ax.barh(range(len(values)), values, color=colors)
        ax.set_yticks(range(len(values)), labels, fontsize=7)
        ax.invert_yaxis()
        threads = results.get("config", {}).get("threads", 1)
        ax.set(xlabel=f"GFLOP/s ({threads} thread{'s' if threads != 1 else ''})",
               title=f"Closeness to the machine, width {LARGE_WIDTH}")
        ax.grid(True, axis="x", alpha=0.3)
        save(fig, "bench_flop_rate.png")

    cells, kernel = section(results, "check_cells"), section(results, "notebooks")
    if cells or kernel:
        names = sorted(set(cells or {}) | set(kernel or {}))
        fig, ax = plt.subplots(figsize=(7.5, 3.8))
        for i, name in enumerate(names):
            if cells and name in cells:
                v = [c["median"] for c in cells[name]["cells"]]
                ax.plot([i - 0.12] * len(v), v, "o", color="C0", alpha=0.6, label="in-process" if i == 0 else None)
            if kernel and name in kernel:
                v = [t["median"] for t in kernel[name]["tests"].values()]
                ax.plot([i + 0.12] * len(v), v, "s", color="C1", alpha=0.6, label="in a kernel" if i == 0 else None)
        ax.axhline(TARGETS["check_cell"], color="red", ls=":", label=f"target {TARGETS['check_cell']} s")
        ax.set_yscale("log")
        ax.set_xticks(range(len(names)), [n.split("_", 1)[0] + "\n" + n.split("_", 1)[1] for n in names], fontsize=7)
        ax.set(ylabel="seconds per check cell", title="Check cells of the solution notebooks (visible + hidden call)")
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", which="both", alpha=0.3)
        save(fig, "bench_check_cells.png")
    return made


# ---------------------------------------------------------------------------------------------
# The report


def _machine(results):
    m = results["machine"]
    blas = m["blas"]
    torch = m.get("torch")
    rows = [("CPU", f"{m['cpu']} ({m['machine']}), {m['logical_cores']} logical cores, {m['usable_cores']} usable; "
                    f"{m['memory_gib']} GiB"),
            ("OS", m["os"]), ("Python", m["python"]),
            ("numpy", f"{m['numpy']}, BLAS {blas['name']} {blas['version']} ({blas['configuration'] or 'no detail'}); "
                      f"SIMD found: {', '.join(blas.get('simd') or []) or 'unknown'}"),
            ("threads", f"{results['config']['threads']} (numpy's BLAS reports {m['blas_threads']}"
                        + (f"; PyTorch intra-op {torch['threads']}" if torch else "") + "); "
                        + ", ".join(f"{k}={v}" for k, v in m["thread_variables"].items())),
            ("PyTorch", f"{torch['version']}, BLAS {torch['blas']} ({torch['blas_detail']})" if torch
             else "not installed: its rows are skipped (`pip install torch` into .venv to add them)"),
            ("load average", f"{m['load_average']} (1, 5, 15 min) at the start"),
            ("commit", f"{m['commit']}{' with uncommitted changes' if m['dirty'] else ''}"),
            ("date", m["date"])]
    return table(["", ""], rows)


def _sections_load(results):
    rows = []
    for name, s in results.get("sections", {}).items():
        rows.append((name, s.get("clock", ""), s["started"], f"{s['seconds']:.0f}", s["load_before"], s["load_after"]))
    return table(["section", "clock", "started", "seconds", "load before", "load after"], rows)


def _faults(value):
    return "-" if value is None else f"{value:,.0f}"


def _gradient(results, img):
    grad = section(results, "gradient")
    if not grad:
        return []
    torch = grad["torch"]
    rows = []
    for r in grad["rows"]:
        share = r["numpy"].get("loss_share")
        rows.append((r["depth"], r["width"], f"{r['parameters']:,}", ms(r["numpy"]["forward"]["median"]),
                     f"{share['median']:.0%}" if share else "-", ms(r["numpy"]["both"]["median"]),
                     rng(r["numpy"]["ratio"]), f"{r['flops_forward_backward'] / r['flops_forward']:.2f}",
                     f"{_faults(r['numpy'].get('faults_forward'))} / {_faults(r['numpy'].get('faults_both'))}",
                     rng(r["tuned"]["ratio"]), _faults(r["tuned"].get("faults_both")),
                     rng(r["torch"]["ratio"]) if r["torch"] else "skipped"))
    worst = max(grad["rows"], key=lambda r: r["numpy"]["ratio"]["median"])
    best = min(grad["rows"], key=lambda r: r["numpy"]["ratio"]["median"])
    widest = max(grad["rows"], key=lambda r: (r["width"], r["depth"]))
    out = ["## 1. The cost of a gradient", "",
           f"The course's network: `depth` hidden ReLU layers of `width` units, inputs of `width` numbers, 10 "
           f"classes, softmax cross-entropy, a batch of {grad['rows'][0]['n']} rows, float64. *Forward* is "
           "notebook 05's `loss_only` (the loss alone), *forward + backward* its `loss_and_grads` (the loss "
           "and every gradient), both running on notebook 04's layers, loaded from the solution notebooks. "
           "*Kept arrays*: the same gradient with the same matrix products (the first layer's `dx` included) "
           "by `benchmarks/mlp.py`'s `TunedStep(skip_input_grad=False).loss_and_grads`, which writes the "
           "gradients into arrays kept from call to call and adds the bias and applies ReLU in place (section "
           "3). PyTorch: the same network and numbers (`F.linear`, section 3), forward under `no_grad`, then "
           "forward with the graph and `backward()`. *Loss share*: the part of the forward time spent in `softmax_cross_entropy`. "
           "*FLOP ratio*: what the operation counts predict (section 4 gives the convention). *Page faults*: "
           "fresh pages of memory the kernel handed the process per call (counted, not timed; they depend on "
           "what the allocator kept from earlier calls). Ratios are "
           f"medians over {grad['rounds']} paired rounds with their range.", "",
           table(["depth", "width", "parameters", "forward ms", "loss share", "fwd+bwd ms", "ratio (range)",
                  "FLOP ratio", "page faults fwd / fwd+bwd", "kept arrays: ratio (range)",
                  "kept arrays: page faults", "PyTorch ratio (range)"], rows), ""]
    if "bench_gradient_cost" in img:
        out += [f"![(forward + backward) / forward]({img['bench_gradient_cost']})", ""]
    ok = worst["numpy"]["ratio"]["median"] <= TARGETS["gradient_ratio"]
    text = (f"The notebooks' ratio runs from {best['numpy']['ratio']['median']:.2f} (depth {best['depth']}, width "
            f"{best['width']}) to {worst['numpy']['ratio']['median']:.2f} (depth {worst['depth']}, width "
            f"{worst['width']}): " + ("within the target of 3.2 everywhere. " if ok else "above the target of 3.2 there. ")
            + "The backward pass does two matrix products per layer where the forward pass does one "
            "(`dW = h.T @ dz` and `dh = dz @ W.T` against `h @ W`), so the FLOP ratio is 3 and wide layers "
            f"approach it ({widest['numpy']['ratio']['median']:.2f} at depth {widest['depth']}, width {widest['width']}).")
    share = best["numpy"].get("loss_share")
    if share and best["numpy"]["ratio"]["median"] < 2.8:
        text += (" Where it is well below 3 the forward pass is not mostly matrix products: `loss_only` calls "
                 "`softmax_cross_entropy`, which also computes the loss's gradient `dscores` (so the forward "
                 f"pass already does that part of the backward pass), and that call is {share['median']:.0%} of "
                 f"the forward time at depth {best['depth']}, width {best['width']}"
                 + (f", against {widest['numpy']['loss_share']['median']:.1%} at width {widest['width']}."
                    if widest["numpy"].get("loss_share") else "."))
    kept = worst["tuned"]["ratio"]["median"]
    if not ok and kept <= TARGETS["gradient_ratio"]:
        fb = worst["numpy"].get("faults_both")
        text += (f" Above 3.2 it is memory, not arithmetic: at depth {worst['depth']}, width {worst['width']} the "
                 f"same products written into arrays kept from call to call give {kept:.2f}. The notebooks' "
                 "`loss_and_grads` returns new gradient arrays at every call (a 1024 x 1024 `dW` is 8 MiB), and "
                 "memory the caller has just dropped can come back to it as fresh pages, which the kernel maps and "
                 "zeroes" + (f" ({fb:,.0f} page faults per call counted here; the count depends on the allocator's "
                             "history, so it is a hint, not a measure)." if fb else ".")
                 + " The notebooks' code is left as the course teaches it; the kept-array version shows what the "
                 "same formulas cost without fresh memory at every call.")
    out.append(text)
    if not torch:
        out.append("\nPyTorch is not installed: its columns are skipped.")
    return out + [""]


def _fd(results, img):
    fd = section(results, "fd")
    if not fd:
        return []
    rows = [(r["hidden"], f"{r['parameters']:,}", ms(r["backprop"]["median"]), ms(r["forward"]["median"]),
             ms(r["fd"]["median"]), f"{r['fd_over_backprop']:,.0f}", f"{r['fd_over_2P_forward']:.2f}",
             f"{r['relative_error']:.0e}") for r in fd["rows"]]
    first, last = fd["rows"][0], fd["rows"][-1]
    import math
    slope = (math.log(last["fd"]["median"]) - math.log(first["fd"]["median"])) / \
        (math.log(last["parameters"]) - math.log(first["parameters"]))
    bslope = (math.log(last["backprop"]["median"]) - math.log(first["backprop"]["median"])) / \
        (math.log(last["parameters"]) - math.log(first["parameters"]))
    out = ["## 2. Backprop against finite differences", "",
           f"Notebook 05's network `[8, hidden, 4]` on {fd['n']} examples: one gradient by backprop "
           "(`loss_and_grads`) and by central differences (`numerical_grads` of `loss_only`: two forward "
           "passes per parameter). The last column is the largest relative error between the two "
           "gradients (they agree, so both compute the same thing).", "",
           table(["hidden", "P", "backprop ms", "forward ms", "finite differences ms", "FD / backprop",
                  "FD / (2P forward)", "rel. error"], rows), ""]
    if "bench_fd_vs_backprop" in img:
        out += [f"![finite differences vs backprop]({img['bench_fd_vs_backprop']})", ""]
    out.append(f"On log-log axes the finite-difference time has slope {slope:.2f} in P from P = "
               f"{first['parameters']:,} to {last['parameters']:,} (1 is proportional to P), and stays "
               f"within a factor {max(r['fd_over_2P_forward'] for r in fd['rows']):.2f} of 2P forward passes; "
               f"backprop's slope is {bslope:.2f}: at P = {last['parameters']:,} one gradient by finite "
               f"differences costs {last['fd_over_backprop']:,.0f} backprop gradients.")
    return out + [""]


def _step(results, img):
    step = section(results, "step")
    if not step:
        return []
    torch = step["torch"]
    out = ["## 3. A training step: the course's numpy MLP against PyTorch", "",
           "One step of SGD (lr " f"{step['lr']}): forward, loss, backward, update, from the same starting "
           "weights, on the same batch, dtype and threads. *Notebooks' step* is notebook 05's "
           "`minibatch_step` (its `loss_and_grads` on notebook 04's layers, then `sgd_step`), exactly as the "
           "solutions write it. *Tuned step* is `benchmarks/mlp.py`'s `TunedStep`: the same formulas, "
           "without work the notebooks' step does and does not need (no `dx` for the first layer, gradient "
           "and update arrays kept from step to step, bias, ReLU and its mask in place). *PyTorch*: "
           "`F.linear` (the layer of `nn.Linear`, weights stored as PyTorch stores them, the transpose of the "
           "course's `W`), `relu`, `cross_entropy`, `backward()`, `torch.optim.SGD`. Ratios are times "
           "divided by PyTorch's (below 1: numpy is faster), medians of paired rounds with their range.", ""]
    for dtype in sorted({r["dtype"] for r in step["rows"]}, reverse=True):
        rows = []
        for r in step_rows(step, dtype):
            t = r["times"]
            rows.append((r["name"], "x".join(map(str, r["sizes"])), r["n"], f"{r['parameters']:,}",
                         ms(t["course"]["median"]), ms(t["tuned"]["median"]),
                         ms(t["torch"]["median"]) if torch else "skipped",
                         rng(r["course_over_torch"]) if torch else "-", rng(r["tuned_over_torch"]) if torch else "-",
                         f"{r['agreement'].get('torch', float('nan')):.0e}" if torch else "-"))
        out += [f"**{dtype}** (times in ms)", "",
                table(["network", "sizes", "batch", "parameters", "notebooks' step", "tuned step", "PyTorch",
                       "notebooks' / PyTorch", "tuned / PyTorch", "agree"], rows), ""]
    tuned_diff = max(r["agreement"]["tuned"] for r in step["rows"])
    out.append("*agree*: the largest difference between the weights after one step of the notebooks' step and "
               "of PyTorch's, relative to the largest weight; the tuned step's weights are "
               + ("bit for bit the notebooks' step's." if tuned_diff == 0 else
                  f"the notebooks' step's to {tuned_diff:.0e}."))
    out.append("")
    if "bench_training_step" in img:
        out += [f"![training step ratio]({img['bench_training_step']})", ""]
    if not torch:
        out.append("PyTorch is not installed: the comparison rows are skipped.\n")
    abl = section(results, "ablation")
    if abl:
        rows = [(r["variant"], ms(r["time"]["median"]), rng(r["over_course"]),
                 rng(r["over_torch"]) if r["over_torch"] else "-") for r in abl["rows"]]
        out += [f"**Where the time goes at width {abl['width']}** ({abl['dtype']}, batch {abl['n']}, sizes "
                f"{abl['sizes']}): each change of the tuned step alone, timed in the same rounds.", "",
                table(["variant", "ms", "/ notebooks' step", "/ PyTorch"], rows), ""]
    prof = section(results, "profile")
    if prof:
        rows = [(f"`{r['function']}`", f"{r['calls_per_step']:g}", f"{r['ms_per_step']:.2f}", f"{r['share']:.0%}")
                for r in prof["rows"]]
        out += [f"cProfile of the notebooks' step at width {prof['width']} ({prof['dtype']}, "
                f"{prof['steps']} steps, {prof['ms_per_step']:.1f} ms per step under the profiler; own time "
                "per function, the matrix products counted in the function that calls them):", "",
                table(["function", "calls per step", "ms per step", "share"], rows), ""]
    out += _step_reasons(results)
    return out


def _step_reasons(results):
    """What the numbers of section 3 say, sentence by sentence, each only when the data shows it."""
    step, abl, peak = section(results, "step"), section(results, "ablation"), section(results, "peak")
    out = []
    if not step or not step["torch"]:
        return out
    small = [r for r in step["rows"] if r["width"] <= SMALL_WIDTH]
    large = [r for r in step["rows"] if r["width"] == LARGE_WIDTH]
    digits = [r for r in small if r["name"].startswith("digits")]
    if digits and all(r["course_over_torch"]["median"] < 1 for r in digits):
        r = next((r for r in digits if r["dtype"] == "float64"), digits[0])
        rate = (peak or {}).get("rates", {}).get(r["dtype"], {}).get("numpy")
        text = (f"At the course's sizes numpy's step is the faster: {r['course_over_torch']['median']:.2f} of "
                f"PyTorch's time for notebook 05's digits network ({r['dtype']})")
        if rate:
            ideal = r["flops_needed"] / (rate["gflops"] * 1e9)
            text += (f". Its {r['flops_needed'] / 1e6:.1f} MFLOP would take {ideal * 1e6:.0f} µs at numpy's "
                     f"large-matrix rate; the notebooks' step takes {r['times']['course']['median'] * 1e6:.0f} µs "
                     f"and PyTorch's {r['times']['torch']['median'] * 1e6:.0f} µs. The rest is the fixed cost of "
                     "each of the step's few dozen operations (Python and dispatch; for PyTorch also recording "
                     "the autograd graph and running `torch.optim`), and PyTorch's is the larger.")
        else:
            text += "."
        out.append(text)
    if large and abl:
        rows = {r["variant"]: r for r in abl["rows"]}
        dx, keep = rows.get("no dx for the first layer"), rows.get("kept gradient and scratch arrays")
        inplace, tuned = rows.get("bias, ReLU and its mask in place"), rows.get("all three (the tuned step)")
        if dx and keep and inplace and tuned:
            out.append(f"At width {LARGE_WIDTH} the matrix products are nearly all the work (section 4), and the "
                       "profile puts the time in `affine_forward` and `affine_backward`, that is, in those products. "
                       "The notebooks' `affine_backward` returns `dx` for every layer, the first included, whose "
                       "`dx` is the gradient of the data: one more matrix product of the first layer's size, which "
                       "PyTorch skips because the data does not require a gradient. Leaving it out takes the step "
                       f"to {dx['over_course']['median']:.2f} of its time ({abl['dtype']}); kept arrays alone give "
                       f"{keep['over_course']['median']:.2f}, in-place bias and ReLU "
                       f"{inplace['over_course']['median']:.2f}, all three {tuned['over_course']['median']:.2f}"
                       + (f" ({tuned['over_torch']['median']:.2f} of PyTorch's time)." if tuned["over_torch"] else "."))
    over = [r for r in small if r["course_over_torch"]["median"] > TARGETS["step_small"]]
    if over:
        out.append("Over the target of 1 at the course's sizes: "
                   + "; ".join(f"{r['name']} ({r['dtype']}) at {r['course_over_torch']['median']:.2f} "
                               f"(rounds {r['course_over_torch']['lo']:.2f} to {r['course_over_torch']['hi']:.2f}), "
                               f"the tuned step at {r['tuned_over_torch']['median']:.2f}" for r in over)
                   + ": there the products begin to dominate, and the notebooks' step pays for the same extra "
                   "work as at width 1024.")
    closed = [r for r in large if r["course_over_torch"]["median"] > 1 >= r["tuned_over_torch"]["median"]]
    if closed:
        out.append(f"At width {LARGE_WIDTH} the notebooks' step takes "
                   + " and ".join(f"{r['course_over_torch']['median']:.2f} ({r['dtype']})" for r in closed)
                   + " of PyTorch's time, the tuned step "
                   + " and ".join(f"{r['tuned_over_torch']['median']:.2f}" for r in closed)
                   + ": what separates numpy from PyTorch there is work the notebooks' step does, not numpy.")
    for r in large:
        t = r["tuned_over_torch"]["median"]
        rates = (peak or {}).get("rates", {}).get(r["dtype"], {})
        if t > 1 and "torch" in rates and rates["numpy"]["gflops"] < rates["torch"]["gflops"]:
            out.append(f"In {r['dtype']} even the tuned step takes {t:.2f} of PyTorch's time: numpy's BLAS "
                       f"({results['machine']['blas']['name']}) multiplies {peak['n']} x {peak['n']} matrices at "
                       f"{rates['numpy']['gflops']:.1f} GFLOP/s, PyTorch's ({results['machine']['torch']['blas']}) at "
                       f"{rates['torch']['gflops']:.1f} on the same threads.")
        elif t > 1 and r["tuned_over_torch"]["lo"] <= 1:
            out.append(f"In {r['dtype']} the tuned step and PyTorch's are level: {t:.2f} of PyTorch's time, "
                       f"{r['tuned_over_torch']['lo']:.2f} to {r['tuned_over_torch']['hi']:.2f} over the rounds.")
        elif t > 1:
            out.append(f"In {r['dtype']} even the tuned step takes {t:.2f} of PyTorch's time in every round, "
                       "although numpy's own matrix product is not the slower (section 4).")
    return [" ".join(out), ""] if out else []


def _flops(results, img):
    peak, step = section(results, "peak"), section(results, "step")
    if not peak:
        return []
    rows = []
    for dtype, d in peak["rates"].items():
        for who, v in d.items():
            rows.append((dtype, f"{who} `A @ B`", f"{v['gflops']:.1f}", f"{v['gflops_best']:.1f}"))
    out = ["## 4. Closeness to the machine", "",
           f"numpy's own rate: a {peak['n']} x {peak['n']} by {peak['n']} x {peak['n']} matrix product "
           f"({2 * peak['n'] ** 3 / 1e9:.1f} GFLOP), same threads, same run (PyTorch's for comparison):", "",
           table(["dtype", "product", "GFLOP/s (median)", "GFLOP/s (best)"], rows), ""]
    rates = flop_rates(step, peak)
    if rates:
        r1024 = next(r for r in step["rows"] if r["width"] == LARGE_WIDTH)
        out += [f"The training step at width {LARGE_WIDTH} (sizes {r1024['sizes']}, batch {r1024['n']}): "
                f"{r1024['flops_needed'] / 1e9:.3f} GFLOP per step as counted exactly by `benchmarks/flops.py` "
                f"({r1024['flops_course'] / 1e9:.3f} as the notebooks' step runs it, with the first layer's `dx`); "
                f"the matrix products are {r1024['flops_matmul_share']:.2%} of it. Rates use the FLOPs the step "
                "needs, so the extra product of the notebooks' step counts as time, not work.", "",
                table(["dtype", "step", "GFLOP/s", "of numpy's matmul rate"],
                      [(r["dtype"], {"course": "notebooks' step", "tuned": "tuned step", "torch": "PyTorch step"}[r["who"]],
                        f"{r['gflops']:.1f}", f"{r['fraction']:.0%}") for r in rates]), ""]
        if "bench_flop_rate" in img:
            out += [f"![FLOP rates]({img['bench_flop_rate']})", ""]
    out += ["FLOP convention (`benchmarks/flops.py`, checked in `tests/course/test_benchmarks.py` against a count of "
            "every numpy operation the notebooks' code runs): a product (N, K) @ (K, M) is 2NKM; every other "
            "elementwise operation, comparison, exp and log is 1 per entry produced; a reduction of k numbers "
            "is k - 1; the update `p -= lr * g` is 2 per parameter.", ""]
    return out


def _cpu(value):
    return "-" if value is None else f"{value:.1f}"


def _course(results, img):
    cells, kernel, check, grading = (section(results, k) for k in ("check_cells", "notebooks", "self_check", "grading"))
    if not (cells or kernel or check or grading):
        return []
    out = ["## 5. Waiting for the course", ""]
    if cells or kernel:
        names = sorted(set(cells or {}) | set(kernel or {}))
        rows = []
        for name in names:
            c = cells.get(name) if cells else None
            k = kernel.get(name) if kernel else None
            slow_c = max(c["cells"], key=lambda x: x["median"]) if c and c["cells"] else None
            slow_k = max(k["tests"].items(), key=lambda x: x[1]["median"]) if k and k["tests"] else None
            over = sum(1 for x in (c["cells"] if c else []) if x["median"] >= TARGETS["check_cell"])
            over_k = sum(1 for x in (k["tests"].values() if k else []) if x["median"] >= TARGETS["check_cell"])
            failed = [x["grade_id"] for x in (c["cells"] if c else []) if not x["passed"]]
            rows.append((name, len(c["cells"]) if c else len(k["tests"]),
                         f"{slow_c['median']:.3f} ({slow_c['grade_id']})" if slow_c else "-",
                         f"{slow_k[1]['median']:.3f} ({slow_k[0]})" if slow_k else "-",
                         f"{over} / {over_k}" if k else f"{over}",
                         secs(c["total"]) if c else "-",
                         secs(median(k["total"])) if k else "-",
                         ", ".join(failed) or "none"))
        out += ["**Check cells and notebooks.** Every check cell of every solution notebook (its visible call "
                "and its hidden call), in seconds. *In-process*: the cell run with `exec` after the notebook's "
                "earlier cells, as `course-check` runs it (median of the repeats, the first included). *In a kernel*: "
                "the notebook run top to bottom in a fresh Jupyter kernel with nbclient, as a learner's Run "
                "does (median over the runs). *Full run*: the whole notebook, in-process (one pass) and in a "
                "fresh kernel (start-up included). The kernels, `course-check` and nbgrader run with the machine's "
                "default threads, as learners and instructors run them (`--threads` applies to sections 1-4 and "
                "to the in-process runs).", "",
                table(["notebook", "check cells", "slowest in-process", "slowest in a kernel",
                       f">= {TARGETS['check_cell']} s (in-process / kernel)", "full run in-process s",
                       "full run in a kernel s", "failed"], rows), ""]
        if "bench_check_cells" in img:
            out += [f"![check cells]({img['bench_check_cells']})", ""]
        if cells:
            every = sorted(((nb, x) for nb, d in cells.items() for x in d["cells"]), key=lambda p: -p[1]["median"])
            def row(nb, x):
                k = kernel[nb]["tests"].get(x["grade_id"]) if kernel and nb in kernel else None
                return (nb, x["grade_id"], x["points"], f"{x['first']:.3f}", f"{x['median']:.3f}",
                        f"{x['cpu']:.3f}" if "cpu" in x else "-", f"{k['median']:.3f}" if k else "-")
            header = ["notebook", "cell", "points", "first run in-process", "in-process", "in-process CPU",
                      "in a kernel"]
            out += ["The slowest check cells (*in-process CPU*: the CPU time of the same runs, which other jobs "
                    "on the machine do not lengthen):", "", table(header, [row(nb, x) for nb, x in every[:8]]), ""]
            for nb, x in every:
                k = kernel[nb]["tests"].get(x["grade_id"]) if kernel and nb in kernel else None
                slow_here = x["median"] >= TARGETS["check_cell"] or (k and k["median"] >= TARGETS["check_cell"])
                if slow_here and x.get("cpu", 1) < TARGETS["check_cell"]:
                    where = ([f"in a kernel ({k['median']:.2f} s)"] if k and k["median"] >= TARGETS["check_cell"] else []) \
                        + ([f"in-process ({x['median']:.2f} s)"] if x["median"] >= TARGETS["check_cell"] else [])
                    out += [f"`{x['grade_id']}` of {nb} is over {TARGETS['check_cell']} s " + " and ".join(where)
                            + f" but its CPU time in-process is {x['cpu']:.2f} s: the rest is waiting, on a machine "
                            "whose load is in the table above (the kernel also runs numpy with the machine's "
                            "default threads, which compete with the other jobs).", ""]
            prof = next(((nb, d["profile"]) for nb, d in cells.items() if "profile" in d), None)
            if prof:
                nb, p = prof
                out += [f"The check cell with the most CPU time, `{p['grade_id']}` of {nb}, under cProfile "
                        f"({p['seconds']:.2f} s with the profiler): "
                        + "; ".join(f"{share:.0%} in {where}" for where, share in p["groups"].items() if share >= 0.005)
                        + ".", ""]
            out += ["<details><summary>Every check cell (seconds)</summary>", "",
                    table(header + ["passed"], [row(nb, x) + ("yes" if x["passed"] else x["message"],)
                                                for nb, d in sorted(cells.items()) for x in d["cells"]]),
                    "", "</details>", ""]
    if check:
        rows = [(f"`{d['command']}`", ", ".join(f"{t:.1f}" for t in d["seconds"]), f"{median(d['seconds']):.1f}",
                 f"{median(d['cpu']):.1f}" if d.get("cpu") else "-", d["last_line"], d["exit_code"])
                for d in check.values()]
        out += ["**The self-check.** `course-check progress` grades every notebook of a folder without a kernel, "
                "one subprocess per notebook; timed as a learner runs it (a new process each time). On "
                "`notebooks/` every exercise is a stub, so each check stops at once; on `solutions/` every "
                "check runs to the end (a learner who has finished the course). *CPU s*: the CPU time the "
                "command and its subprocesses used (on 2 cores, work done in parallel can make it larger than "
                "the wall time; waiting for a busy machine makes the wall time larger).", "",
                table(["command", "runs (s)", "median s", "CPU s", "last line", "exit"], rows), ""]
    if grading:
        per = grading["class_seconds"] / max(1, grading["class_size"])
        kinds = {}
        for s in grading["students"]:
            kinds.setdefault(s["kind"], []).append(s)
        krows = []
        for kind in ("correct", "partial", "blank", "mistake"):
            group = kinds.get(kind, [])
            if not group:
                continue
            scores = [s["score"] for s in group if s["score"] is not None]
            mx = group[0]["max"]
            krows.append((kind, len(group), ", ".join(f"{x:g}" for x in sorted(scores)) or "none recorded",
                          f"{mx:g}" if mx is not None else "-"))
        solo = grading["solo_scores"]
        solo_full = all(v and v[0] == v[1] for v in solo.values())
        out += [f"**Grading a class.** Grader: {grading['grader']}. In a fresh copy of the course "
                f"(`nbgrader generate_assignment` took {grading['generate_seconds']:.1f} s, not counted):", "",
                table(["what", "seconds", "CPU s", "per student"],
                      [(f"one student, {len(grading['solo_assignments'])} assignments (every exercise solved)",
                        f"{grading['solo_seconds']:.1f}", _cpu(grading.get("solo_cpu")), "-"),
                       (f"a class of {grading['class_size']} on {grading['class_assignment']}",
                        f"{grading['class_seconds']:.1f}", _cpu(grading.get("class_cpu")), f"{per:.1f}")]), "",
                f"The one student scored full marks in every assignment: {'yes' if solo_full else 'no: ' + str(solo)}. "
                "The class's scores by kind of submission:", "",
                table(["kind", "students", "scores", "out of"], krows), ""]
        if grading["solo_seconds"] > TARGETS["solo"] and "trusted" in grading["grader"]:
            out += [f"One student's course missed its {TARGETS['solo']:g} s target on this run: trusted grading, "
                    "the grade of record, grades every notebook a second time, with the learner's code in a process "
                    "of its own, after nbgrader's kernel has run it; both share the machine's cores with whatever "
                    "else runs (compare the load above). `docs/grading.md`, section 7, has the figures on an idle "
                    "machine and with `--fast`; `docs/integrity.md` the per-notebook times.", ""]
        mistakes = [s for s in grading["students"] if s["kind"] == "mistake"]
        if mistakes:
            out += ["Each planted mistake (one learner's mistake in one exercise of a correct notebook) and the "
                    "test cells it cost (a mistake in a layer can also fail an exercise that uses the layer):", "",
                    table(["student", "planted mistake", "score", "points lost in"],
                          [(s["student"], f"`{s['note']}`", f"{s['score']:g}" if s["score"] is not None else "-",
                            ", ".join(f"{k} ({v:g})" if isinstance(v, (int, float)) else f"{k}: {v}"
                                      for k, v in s.get("lost", {}).items()) or "none")
                           for s in mistakes]), ""]
    return out


def _load_note(cfg):
    text = "The load average says how busy the machine was (2 cores: a load of 2 keeps both busy). "
    if cfg.get("clock") == "cpu":
        text += ("Sections 1 to 4 are timed with the process's CPU time (`--clock cpu`, the default with one "
                 "thread): the time the code ran, not the time it waited for a core, so other jobs change those "
                 "figures little (they still share the memory bus and the caches, which matters most at width "
                 "1024). Their ratios come from times measured in the same rounds. Section 5 measures waiting "
                 "(kernels, processes, nbgrader), so it is wall-clock time and load-sensitive: compare it with "
                 "the load around it.")
    else:
        text += ("All sections are timed with the wall clock (`--clock wall`): absolute times are load-sensitive; "
                 "ratios of times measured in the same rounds less so.")
    return text + " The load and the clock of each section:"


def render(results):
    """The whole report as Markdown."""
    img = results.get("images", {})
    cfg = results["config"]
    out = ["# Benchmarks", "",
           "<!-- Written by `make bench` (benchmarks/run.py); edit benchmarks/report.py, not this file. -->", ""]
    if cfg.get("quick"):
        out += ["> **Quick run (smoke test)**: fewer sizes and repeats; the figures are not the report's.", ""]
    out += ["What the course costs in time, measured side by side in one run on one machine: the cost of a "
            "gradient, backprop against finite differences, the course's training step against PyTorch and "
            "against the machine's own matrix product, and how long learners and instructors wait for checks, "
            "notebooks and grading. Every figure is a ratio or a comparison measured in the same run; times "
            "are medians over repeated rounds, with their range.", ""]
    rows = targets(results)
    if rows:
        out += ["## Targets", "",
                "Each missed target is explained in its section. *Note*: for times that include waiting, the CPU "
                "time of the same work (on a loaded machine the wait can be much longer than the work).", "",
                table(["what", "target", "measured", "", "note"],
                      [(r["what"], r["target"], r["measured"], mark(r["met"]), r.get("note", "")) for r in rows]), ""]
    out += ["## The machine", "", _machine(results), "",
            _load_note(cfg), "", _sections_load(results), ""]
    out += ["## How to reproduce", "",
            "```bash",
            "make bench                                   # everything, a few minutes; writes this file and docs/img/",
            "make bench BENCH_ARGS=--quick                # smoke run (fewer sizes and repeats) into a temporary folder",
            ".venv/bin/python -m benchmarks.run --only self_check grading   # rerun some sections, keep the others",
            ".venv/bin/python -m benchmarks.run --help    # sections, sizes, threads, output folder",
            "```", "",
            f"This run: `{cfg['command']}`. Threads: numpy's BLAS and PyTorch both use {cfg['threads']} "
            "(`--threads`). PyTorch is optional: `.venv/bin/pip install torch` (a CPU build is enough) adds its "
            "rows; the course does not depend on it, and without it those rows say *skipped*. Timing: each function is called a few times first, then timed in rounds in "
            "which the functions compared take turns (order rotated each round); ratios are computed round "
            "by round (`benchmarks/harness.py`). Raw figures: `benchmarks.json` next to this file.", ""]
    for part in (_gradient, _fd, _step, _flops, _course):
        out += part(results, img)
    return "\n".join(out).rstrip() + "\n"
