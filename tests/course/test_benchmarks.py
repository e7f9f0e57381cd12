"""The benchmark harness and its report compute what they say (benchmarks/, `make bench`).

Nothing here times anything against a limit: the figures depend on the machine and are reported,
never asserted.  These tests check the arithmetic around them: FLOP counts against a count of
every numpy operation the notebooks' code runs, paired ratios, the tuned step against the
notebooks' step, the generated submissions, and the report written from a tiny run.
"""
import json
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT))

from benchmarks import bench_course, bench_mlp, flops, harness, mlp, report  # noqa: E402


# ---------------------------------------------------------------------------------------------
# FLOPs: closed forms against a count of what numpy really does


class Counted(np.ndarray):
    """An array that counts the FLOPs of every numpy operation applied to it, with the convention
    of benchmarks/flops.py: a matmul (N, K) @ (K, M) is 2NKM, any other ufunc call one per entry it
    produces, a reduction of k numbers k - 1; results that are scalars are not followed further."""

    flops = 0

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        raw = [x.view(np.ndarray) if isinstance(x, Counted) else x for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, Counted) else o for o in out)
        result = getattr(ufunc, method)(*raw, **kwargs)
        if ufunc is np.matmul:
            Counted.flops += 2 * np.size(result) * np.shape(raw[0])[-1]
        elif method == "__call__":
            Counted.flops += np.size(result)
        elif method == "reduce":
            Counted.flops += np.size(raw[0]) - np.size(result)
        else:
            raise NotImplementedError(method)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result.view(Counted) if isinstance(result, np.ndarray) and result.ndim else result


def counted(fn, *args):
    Counted.flops = 0
    fn(*args)
    return Counted.flops


def counted_problem(sizes, n):
    params, X, labels = mlp.problem(sizes, n)
    return {k: v.view(Counted) for k, v in params.items()}, X.view(Counted), labels


SIZES = [[3, 4, 2], [5, 7, 6, 3], [6, 4, 5, 3, 4]]


@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_flop_counts_match_every_operation_the_notebooks_code_runs(sizes):
    """Do the closed forms count exactly what loss_only, loss_and_grads and minibatch_step run?"""
    c = mlp.course()
    n = 5
    params, X, labels = counted_problem(sizes, n)
    assert counted(c.loss_only, params, X, labels) == flops.forward(sizes, n)
    assert counted(c.loss_and_grads, params, X, labels) == flops.forward(sizes, n) + flops.backward(sizes, n)
    assert counted(c.minibatch_step, params, X, labels, 0.1) == flops.step(sizes, n)


@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_flop_count_of_the_tuned_step_leaves_out_the_first_dx(sizes):
    params, X, labels = counted_problem(sizes, 5)
    step = mlp.TunedStep(params)
    assert counted(step, params, X, labels, 0.1) == flops.step(sizes, 5, first_dx=False)
    assert flops.step(sizes, 5) - flops.step(sizes, 5, first_dx=False) == 2 * 5 * sizes[0] * sizes[1]


def test_flop_count_by_hand():
    """[3, 4, 2] on 5 rows, term by term."""
    forward = (2 * 5 * 3 * 4 + 5 * 4) + 5 * 4 + (2 * 5 * 4 * 2 + 5 * 2) + (2 * 5 * 1 + 5 * 5 * 2 + 3 * 5 - 1)
    backward = (2 * 5 * 2 * 4 + 2 * 4 * 5 * 2 + 4 * 2) + 2 * 5 * 4 + (2 * 5 * 4 * 3 + 2 * 3 * 5 * 4 + 4 * 4)
    assert flops.forward([3, 4, 2], 5) == forward
    assert flops.backward([3, 4, 2], 5) == backward
    assert flops.parameters([3, 4, 2]) == 3 * 4 + 4 + 4 * 2 + 2
    assert flops.step([3, 4, 2], 5) == forward + backward + 2 * 26
    assert flops.matmul([1024, 1024, 10], 128) / flops.step([1024, 1024, 10], 128) > 0.99


# ---------------------------------------------------------------------------------------------
# Timing and ratios


def test_ratio_is_taken_round_by_round():
    a = harness.Timing([1.0, 2.0, 4.0, 100.0])
    b = harness.Timing([2.0, 4.0, 8.0, 50.0])
    r = harness.ratio(a, b)
    assert (r.median, r.lo, r.hi, r.n) == (0.5, 0.5, 2.0, 4)
    with pytest.raises(ValueError, match="same rounds"):
        harness.ratio(a, harness.Timing([1.0]))


def test_stat_median_and_range():
    s = harness.Stat.of([3, 1, 2, 10])
    assert (s.median, s.lo, s.hi, s.n) == (2.5, 1, 10, 4)
    assert s.spread == pytest.approx(9 / 2.5)
    assert s.scaled(2).median == 5
    with pytest.raises(ValueError):
        harness.Stat.of([])


def test_compare_warms_up_then_times_every_function_in_every_round():
    calls = {"a": 0, "b": 0}
    order = []

    def make(name):
        def fn():
            calls[name] += 1
            order.append(name)
        return fn

    res = harness.compare({"a": make("a"), "b": make("b")}, rounds=4, number=3, warmup=2)
    assert calls == {"a": 2 + 4 * 3, "b": 2 + 4 * 3}
    assert all(len(t.samples) == 4 and t.number == 3 for t in res.values())
    timed = order[4:]
    firsts = [timed[i * 6] for i in range(4)]
    assert firsts == ["a", "b", "a", "b"], "the order rotates from round to round"


def test_calls_per_sample_fills_the_target():
    assert harness.calls_per_sample(lambda: None, 1e-3) > 1
    assert harness.calls_per_sample(lambda: None, 0) == 1


def test_machine_describes_cpu_numpy_blas_threads_and_load():
    m = harness.machine()
    for key in ("cpu", "logical_cores", "python", "numpy", "blas", "blas_threads", "load_average", "torch"):
        assert key in m
    assert m["numpy"] == np.__version__
    assert m["blas_threads"] is None or m["blas_threads"] >= 1
    json.dumps(m)


# ---------------------------------------------------------------------------------------------
# The networks


@pytest.mark.parametrize("flags", [(False, False, False), (True, False, False), (False, True, False),
                                   (False, False, True), (True, True, True)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tuned_step_computes_the_notebooks_step(flags, dtype):
    c = mlp.course()
    params, X, labels = mlp.problem([7, 5, 6, 3], 4, dtype=dtype)
    a, b = mlp.copy_params(params), mlp.copy_params(params)
    step = mlp.TunedStep(b, *flags)
    tol = 1e-12 if dtype == "float64" else 1e-5
    for _ in range(2):                      # the second step reuses the kept arrays
        la = c.minibatch_step(a, X, labels, 0.1)
        lb = step(b, X, labels, 0.1)
        assert lb == pytest.approx(la, rel=tol)
    for k in params:
        assert b[k].dtype == params[k].dtype
        np.testing.assert_allclose(b[k], a[k], rtol=tol, atol=tol)


def test_without_torch_its_rows_are_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    assert harness.optional_torch() is None
    assert harness.torch_description() is None
    cfg = [{"name": "width 8", "width": 8, "sizes": [8, 8, 8, 10], "n": 16}]
    data = bench_mlp.training_step(cfg, dtypes=("float64",), rounds=2, target_seconds=1e-4)
    assert data["torch"] is False
    assert "torch" not in data["rows"][0]["times"] and "course_over_torch" not in data["rows"][0]
    grad = bench_mlp.gradient_cost(widths=(8,), depths=(1,), rounds=2, target_seconds=1e-4)
    assert grad["rows"][0]["torch"] is None
    results = {"machine": harness.machine(), "config": {"threads": 1, "command": "test"},
               "sections": {"step": {"name": "step", "started": "", "seconds": 0, "load_before": [],
                                     "load_after": [], "data": data},
                            "gradient": {"name": "gradient", "started": "", "seconds": 0, "load_before": [],
                                         "load_after": [], "data": grad}}}
    text = report.render(results)
    assert "PyTorch is not installed" in text
    skipped = [r for r in report.targets(results) if r["what"].startswith("3.")]
    assert skipped and all(r["met"] is None for r in skipped) and "| skipped |" in text


# ---------------------------------------------------------------------------------------------
# Submissions for the grading benchmark


def test_class_of_30_mixes_every_kind():
    kinds = [k for _, k in bench_course.roster(30)]
    assert {k: kinds.count(k) for k in bench_course.KINDS} == {"correct": 9, "partial": 9, "blank": 6, "mistake": 6}
    assert len({s for s, _ in bench_course.roster(30)}) == 30


@pytest.mark.parametrize("assignment", sorted(bench_course.MISTAKES))
def test_every_planted_mistake_still_applies_to_the_solution(assignment):
    """Each planted mistake changes its solution cell (and the changed cell still compiles)."""
    table = bench_course.MISTAKES[assignment]
    for index in range(len(table)):
        nb, note = bench_course.submission(ROOT, assignment, "mistake", index)
        part = table[index][0]
        cell = bench_course._src(bench_course._cell(nb, part))
        sol = bench_course._src(bench_course._cell(bench_course._read(bench_course.solution_path(assignment)), part))
        assert cell != sol and note.startswith(part) and "\n" not in note
        compile(cell, part, "exec")


def test_submissions_hold_what_their_kind_says():
    a = "04_vector_backprop"
    sol = bench_course._read(bench_course.solution_path(a))
    parts = [bench_course._meta(c)["grade_id"] for c in sol["cells"] if bench_course._meta(c).get("solution")
             and c["cell_type"] == "code"]

    def solved(nb):
        return [p for p in parts if bench_course._src(bench_course._cell(nb, p)) ==
                bench_course._src(bench_course._cell(sol, p))]
    assert solved(bench_course.submission(ROOT, a, "correct")[0]) == parts
    assert solved(bench_course.submission(ROOT, a, "blank")[0]) == []
    for k in range(4):              # the k-th partial submission: the first 1 + 3k mod (parts - 1) exercises
        partial = solved(bench_course.submission(ROOT, a, "partial", k)[0])
        assert partial == parts[:1 + (3 * k) % (len(parts) - 1)]
    assert len(solved(bench_course.submission(ROOT, a, "mistake", 0)[0])) == len(parts) - 1


def test_planted_mistake_without_a_table_raises_in_the_answer():
    nb, note = bench_course.submission(ROOT, "00_finite_differences", "mistake", 0)
    assert "raises ValueError" in note


# ---------------------------------------------------------------------------------------------
# The report, from a tiny run


def _section(name, data):
    return {"name": name, "started": "2026-01-01T00:00:00", "seconds": 0.1, "load_before": [0.1, 0.1, 0.1],
            "load_after": [0.2, 0.1, 0.1], "data": data}


@pytest.fixture(scope="module")
def tiny_results():
    cfg = [{"name": "digits (notebook 05)", "width": 8, "sizes": [6, 8, 10], "n": 8},
           {"name": "width 8", "width": 8, "sizes": [8, 8, 8, 10], "n": 16},
           {"name": "width 16", "width": 16, "sizes": [16, 16, 16, 10], "n": 16}]
    fast = dict(rounds=2, target_seconds=1e-4)
    sections = {
        "gradient": bench_mlp.gradient_cost(widths=(8, 16), depths=(1, 2), **fast),
        "fd": bench_mlp.fd_vs_backprop(hiddens=(2, 4), rounds=2, fd_rounds=1),
        "peak": bench_mlp.matmul_rate(n=32, rounds=2),
        "step": bench_mlp.training_step(cfg, **fast),
        "ablation": bench_mlp.ablation(width=16, n=16, **fast),
        "profile": bench_mlp.profile_step(width=16, n=16, steps=2),
        "check_cells": {"00_finite_differences": bench_course.check_cells_in_process("00_finite_differences", 1)},
        "notebooks": {"00_finite_differences": {"startup": [0.5], "total": [1.5], "tests": {
            "test_central_difference": {"median": 0.02, "max": 0.02}}, "slowest_other_cells": []}},
        "self_check": {"notebooks": {"seconds": [5.0, 6.0], "exit_code": 0, "last_line": "total: 0 / 130 points",
                                     "command": "course-check progress notebooks"},
                       "solutions": {"seconds": [12.0], "exit_code": 0, "last_line": "total: 130 / 130 points",
                                     "command": "course-check progress solutions"}},
        "grading": {"grader": "nbgrader autograde", "class_assignment": "04_vector_backprop", "class_size": 2,
                    "solo_assignments": ["00_finite_differences"], "generate_seconds": 5.0, "solo_seconds": 7.0,
                    "solo_ok": True, "solo_scores": {"00_finite_differences": [8.0, 8.0]}, "class_seconds": 50.0,
                    "class_ok": True,
                    "students": [{"student": "s01", "kind": "correct", "note": "every exercise solved",
                                  "score": 22.0, "max": 22.0, "lost": {}},
                                 {"student": "s02", "kind": "mistake", "note": "affine: a -> b", "score": 19.0,
                                  "max": 22.0, "lost": {"test_affine": 3.0}}]},
    }
    return {"machine": harness.machine(), "config": {"quick": True, "threads": 1, "command": "tiny"},
            "sections": {k: _section(k, v) for k, v in sections.items()}}


def test_report_from_a_tiny_run(tiny_results, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "SMALL_WIDTH", 8)
    monkeypatch.setattr(report, "LARGE_WIDTH", 16)
    results = dict(tiny_results)
    results["images"] = report.plots(results, tmp_path / "img")
    text = report.render(results)
    for heading in ("## Targets", "## The machine", "## How to reproduce", "## 1. The cost of a gradient",
                    "## 2. Backprop against finite differences", "## 3. A training step",
                    "## 4. Closeness to the machine", "## 5. Waiting for the course"):
        assert heading in text
    assert "Quick run" in text
    for name, rel in results["images"].items():
        assert (tmp_path / rel).stat().st_size > 1000
        assert f"]({rel})" in text, f"the report shows {name}"
    expected = {"bench_gradient_cost", "bench_fd_vs_backprop", "bench_check_cells"}
    if harness.optional_torch() is not None:
        expected |= {"bench_training_step", "bench_flop_rate"}
    assert expected <= set(results["images"])
    assert "s02" in text and "test_affine (3)" in text
    json.dumps(results)


def test_targets_are_judged_against_their_limits(tiny_results, monkeypatch):
    monkeypatch.setattr(report, "SMALL_WIDTH", 8)
    monkeypatch.setattr(report, "LARGE_WIDTH", 16)
    results = json.loads(json.dumps(tiny_results))
    grad = results["sections"]["gradient"]["data"]["rows"]
    for r in grad:
        r["numpy"]["ratio"]["median"] = 3.0
    rows = {r["what"]: r for r in report.targets(results)}
    first = next(r for w, r in rows.items() if w.startswith("1."))
    assert first["met"]
    grad[1]["numpy"]["ratio"]["median"] = 3.3
    first = next(r for r in report.targets(results) if r["what"].startswith("1."))
    assert not first["met"] and "3.30" in first["measured"]
    by_what = {r["what"]: r for r in report.targets(results)}
    assert by_what["5. `course-check progress notebooks`"]["met"]           # median of 5 and 6 s
    assert not by_what["5. `course-check progress solutions`"]["met"]       # 12 s
    solo = next(r for w, r in by_what.items() if "one student" in w)
    assert solo["met"]                                                      # 7 s
    klass = next(r for w, r in by_what.items() if "a class of 2" in w)
    assert not klass["met"] and "24" in klass["target"]                     # 360 s scaled to 2 students


def test_flop_rate_is_a_fraction_of_numpys_matmul_rate():
    step = {"rows": [{"name": "width 1024", "width": 1024, "dtype": "float64", "flops_needed": 2e9,
                      "times": {"course": {"median": 0.1}, "tuned": {"median": 0.05}}}]}
    peak = {"rates": {"float64": {"numpy": {"gflops": 40.0}}}}
    rates = {r["who"]: r for r in report.flop_rates(step, peak)}
    assert rates["course"]["gflops"] == pytest.approx(20.0) and rates["course"]["fraction"] == pytest.approx(0.5)
    assert rates["tuned"]["fraction"] == pytest.approx(1.0)


def test_child_processes_get_the_default_threads_back(monkeypatch):
    """limit_threads changes the thread variables; inside default_threads they are as before."""
    monkeypatch.setattr(harness, "_ORIGINAL", {})
    for var in harness.THREAD_VARIABLES:            # monkeypatch restores each at the end
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    harness.limit_threads(1)
    assert harness.os.environ["OMP_NUM_THREADS"] == "1" and harness.os.environ["OPENBLAS_NUM_THREADS"] == "1"
    with harness.default_threads():
        assert harness.os.environ["OMP_NUM_THREADS"] == "7"
        assert "OPENBLAS_NUM_THREADS" not in harness.os.environ
    assert harness.os.environ["OMP_NUM_THREADS"] == "1" and harness.os.environ["OPENBLAS_NUM_THREADS"] == "1"
