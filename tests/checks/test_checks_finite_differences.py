"""Notebook 00's checks: the solution passes, each planted mistake fails with its name."""
import numpy as np
import pytest

from autograder.checks import finite_differences as check
from conftest import fails_with, load_solution, stub

NB = "00_finite_differences"


@pytest.fixture(scope="module")
def sol():
    return load_solution(NB)


@pytest.mark.parametrize("part", [p["key"] for p in check.EXERCISES.parts])
@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes(sol, part, hidden, capsys):
    getattr(check, part)(getattr(sol, part), hidden=hidden)
    assert "[ok]" in capsys.readouterr().out


@pytest.mark.parametrize("part", [p["key"] for p in check.EXERCISES.parts])
def test_stub_is_not_implemented_yet(part):
    message = fails_with("not_implemented", getattr(check, part), stub)
    assert "not implemented yet" in message


# --- central_difference

def forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def backward_difference(f, x, h=1e-5):
    return (f(x) - f(x - h)) / h


def divided_by_h(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h


def ignores_h(f, x, h=1e-5):
    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5


def flipped(f, x, h=1e-5):
    return (f(x - h) - f(x + h)) / (2 * h)


def returns_nothing(f, x, h=1e-5):
    (f(x + h) - f(x - h)) / (2 * h)


def precedence(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2 * h          # divides by 2, then multiplies by h


def default_h_too_big(f, x, h=1e-3):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("fn, key", [
    (forward_difference, "forward_difference"),
    (backward_difference, "backward_difference"),
    (divided_by_h, "divided_by_h"),
    (ignores_h, "ignores_h"),
    (flipped, "sign_flipped"),
    (returns_nothing, "returned_none"),
    (precedence, "precedence"),
])
def test_central_difference_mistakes(fn, key):
    message = fails_with(key, check.central_difference, fn)
    assert "for f = sin at x = 0.7" in message, "the message says which case failed"


def test_a_wrong_default_h_is_named():
    """Right for every explicit h, wrong with the default: the message names the default."""
    message = fails_with("wrong_default_h", check.central_difference, default_h_too_big)
    assert "h=1e-5" in message and "with the default h" in message


def test_a_wrong_single_number_is_not_called_a_constant_factor():
    """For one number, 'off by a constant factor' is always true and names nothing."""
    message = fails_with("wrong_values", check.central_difference,
                         lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (3 * h))
    assert "constant factor" not in message and "(f(x+h) - f(x-h)) / (2h)" in message


# --- numerical_gradient

def _loop(x, body):
    g = np.zeros(np.shape(x))
    for idx in np.ndindex(np.shape(x)):
        g[idx] = body(idx)
    return g


def ng_forward(f, x, h=1e-5):
    x = np.array(x, dtype=float)

    def one(idx):
        xp = x.copy(); xp[idx] += h
        return (f(xp) - f(x)) / h
    return _loop(x, one)


def ng_not_restored(f, x, h=1e-5):
    """Works on the caller's x and never puts the entry back: x is changed."""
    def one(idx):
        x[idx] += h; fp = f(x)
        x[idx] -= 2 * h; fm = f(x)
        return (fp - fm) / (2 * h)
    return _loop(x, one)


def ng_own_copy_not_restored(f, x, h=1e-5):
    """Its own float copy, so the caller's x is unchanged, but each entry stays at old - h."""
    x = np.array(x, dtype=float)

    def one(idx):
        x[idx] += h; fp = f(x)
        x[idx] -= 2 * h; fm = f(x)
        return (fp - fm) / (2 * h)
    return _loop(x, one)


def ng_own_copy_left_at_plus(f, x, h=1e-5):
    """The minus side first, the plus side last, never restored: each entry stays at old + h."""
    x = np.array(x, dtype=float)

    def one(idx):
        old = x[idx]
        x[idx] = old - h; fm = f(x)
        x[idx] = old + h; fp = f(x)
        return (fp - fm) / (2 * h)
    return _loop(x, one)


def ng_all_at_once(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


def ng_integer_copy(f, x, h=1e-5):
    """Copies without casting: on an integer x, old + h is truncated back to an integer."""
    x = x.copy()

    def one(idx):
        old = x[idx]
        x[idx] = old + h; fp = f(x)
        x[idx] = old - h; fm = f(x)
        x[idx] = old
        return (fp - fm) / (2 * h)
    return _loop(x, one)


def ng_integer_copy_inplace_steps(f, x, h=1e-5):
    """The same truncation, written with += and -=."""
    x = np.copy(x)

    def one(idx):
        x[idx] += h; fp = f(x)
        x[idx] -= 2 * h; fm = f(x)
        x[idx] += h
        return (fp - fm) / (2 * h)
    return _loop(x, one)


def ng_integer_zeros_like(f, x, h=1e-5):
    x = x.copy()
    g = np.zeros_like(x)             # an integer array when x is
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h; fp = f(x)
        x[idx] = old - h; fm = f(x)
        x[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


def ng_aliased(f, x, h=1e-5):
    """xp = x is not a copy: both moves land on x before f is called."""
    x = np.array(x, dtype=float)

    def one(idx):
        xp = x; xp[idx] += h
        xm = x; xm[idx] -= h
        return (f(xp) - f(xm)) / (2 * h)
    return _loop(x, one)


def ng_aliased_interleaved(f, x, h=1e-5):
    """xp = x is not a copy, f called between the moves: f(x - h e_i) is really f(x)."""
    x = np.array(x, dtype=float)

    def one(idx):
        xp = x; xp[idx] += h; fp = f(xp)
        xm = x; xm[idx] -= h; fm = f(xm)
        return (fp - fm) / (2 * h)
    return _loop(x, one)


def ng_precedence(f, x, h=1e-5):
    x = np.array(x, dtype=float)

    def one(idx):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h; xm[idx] -= h
        return (f(xp) - f(xm)) / 2 * h
    return _loop(x, one)


def ng_ignores_h(f, x, h=1e-5):
    x = np.array(x, dtype=float)

    def one(idx):
        xp, xm = x.copy(), x.copy()
        xp[idx] += 1e-5; xm[idx] -= 1e-5
        return (f(xp) - f(xm)) / 2e-5
    return _loop(x, one)


def ng_float32(f, x, h=1e-5):
    x = np.array(x, dtype=np.float32)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h; fp = f(x)
        x[idx] = old - h; fm = f(x)
        x[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


def ng_flat(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    out = []
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h; xm[idx] -= h
        out.append((f(xp) - f(xm)) / (2 * h))
    return np.array(out)


def ng_one_dim_only(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(len(x)):
        xp, xm = x.copy(), x.copy()
        xp[i] += h; xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn, key", [
    (ng_forward, "forward_difference"),
    (ng_not_restored, "x_not_restored"),
    (ng_own_copy_not_restored, "entry_not_restored"),
    (ng_own_copy_left_at_plus, "entry_not_restored"),
    (ng_all_at_once, "perturbed_all_entries"),
    (ng_flat, "flattened"),
    (ng_one_dim_only, "whole_rows"),
    (ng_integer_copy, "integer_input"),
    (ng_integer_copy_inplace_steps, "integer_input"),
    (ng_integer_zeros_like, "integer_dtype"),
    (ng_aliased, "all_zeros"),
    (ng_aliased_interleaved, "aliased_copy"),
    (ng_precedence, "precedence"),
    (ng_ignores_h, "ignores_h"),
    (ng_float32, "float32"),
])
def test_numerical_gradient_mistakes(fn, key, hidden):
    """Each mistake is named by the visible check as well as the hidden one."""
    fails_with(key, check.numerical_gradient, fn, hidden=hidden)


def test_numerical_gradient_messages_say_what_to_do():
    message = fails_with("entry_not_restored", check.numerical_gradient, ng_own_copy_not_restored)
    assert "the entry was not restored" in message and "put x[i] back" in message
    message = fails_with("integer_input", check.numerical_gradient, ng_integer_copy)
    assert "integer array: the perturbation was truncated" in message and "float copy" in message
    assert "an integer array" in message
    message = fails_with("all_zeros", check.numerical_gradient, ng_aliased)
    assert "x.copy()" in message


def test_the_visible_function_is_not_separable():
    """A function that is a sum of one-variable terms hides a step that is never put back;
    the visible check's function couples every pair of entries."""
    f, grad, x = check._gradient_case((3, 4), 3)
    h = 1e-3
    i, j = (0, 0), (1, 2)
    def moved(a, b):
        y = x.copy(); y[i] += a; y[j] += b
        return f(y)
    mixed = (moved(h, h) - moved(h, -h) - moved(-h, h) + moved(-h, -h)) / (4 * h * h)
    assert abs(mixed) > 0.1


# --- relative_error

def re_no_floor(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)))


def re_no_abs(a, b, floor=1e-3):
    return np.max(a - b) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)


def re_entry_max(a, b, floor=1e-3):
    """The alternative the notebook's text discusses: a ratio per entry, then the largest."""
    ratios = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return float(ratios.max())


def re_entry_sum_floor(a, b, floor=1e-3):
    return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor))


def re_cs231n(x, y):
    """CS231n's rel_error helper."""
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def re_entry_plus_floor(a, b, floor=1e-3):
    return (np.abs(a - b) / (np.abs(a) + np.abs(b) + floor)).max()


def re_entry_over_b(a, b, floor=1e-3):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), floor))


def re_entry_over_a(a, b, floor=1e-3):
    return np.max(np.abs(a - b) / np.maximum(np.abs(a), floor))


def re_b_only(a, b, floor=1e-3):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), floor)


def re_a_only(a, b, floor=1e-3):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), floor)


def re_denominator_no_abs(a, b, floor=1e-3):
    return np.max(np.abs(a - b)) / max(a.max(), b.max(), floor)


def re_denominator_sum(a, b, floor=1e-3):
    return np.max(np.abs(a - b)) / max(np.abs(a).max() + np.abs(b).max(), floor)


def re_floor_added(a, b, floor=1e-3):
    return np.max(np.abs(a - b)) / (max(np.abs(a).max(), np.abs(b).max()) + floor)


def re_norms(a, b, floor=1e-3):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), floor)


def re_norms_sum(a, b, floor=1e-3):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor)


def re_mean(a, b, floor=1e-3):
    return np.mean(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)


def re_sum(a, b, floor=1e-3):
    return np.sum(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)


def re_keeps_the_array(a, b, floor=1e-3):
    return np.abs(a - b) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn, key, says", [
    (re_no_floor, "no_floor", "floor"),
    (re_no_abs, "no_abs", "max |a - b|"),
    (re_entry_max, "entrywise", "max_i |a_i - b_i| / max(|a_i|, |b_i|, floor)"),
    (re_entry_sum_floor, "entrywise", "max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)"),
    (re_cs231n, "entrywise", "entry by entry"),
    (re_entry_plus_floor, "entrywise", "(|a_i| + |b_i| + floor)"),
    (re_entry_over_b, "entrywise", "max(|b_i|, floor)"),
    (re_entry_over_a, "entrywise", "max(|a_i|, floor)"),
    (re_b_only, "b_only", "max(max|b|, floor)"),
    (re_a_only, "b_only", "max(max|a|, floor)"),
    (re_denominator_no_abs, "denominator_no_abs", "magnitudes"),
    (re_denominator_sum, "denominator_sum", "max|a| + max|b|"),
    (re_floor_added, "floor_added", "lower bound"),
    (re_norms, "norms", "norms"),
    (re_norms_sum, "norms", "norms"),
    (re_mean, "mean_not_max", "averaged"),
    (re_sum, "sum_not_max", "summed"),
    (re_keeps_the_array, "wrong_shape", "shape"),
])
def test_relative_error_mistakes(fn, key, says, hidden):
    """Every plausible formula is named, visible and hidden, never as 'a constant factor'."""
    message = fails_with(key, check.relative_error, fn, hidden=hidden)
    assert says in message and "constant factor" not in message


# --- cauchy_loss_grad

@pytest.mark.parametrize("fn, key", [
    (lambda x: 1.0 / (1.0 + x ** 2), "missing_inner_derivative"),
    (lambda x: 2.0 * x, "missing_outer_derivative"),
    (lambda x: -2.0 * x / (1.0 + x ** 2), "sign_flipped"),
    (lambda x: x / (1.0 + x ** 2), "scaled_half"),
    (lambda x: (2.0 * x / (1.0 + x ** 2)).T[None], "kept_axis"),
    (lambda x: 2 * x / (1 + x ** 2) ** 2, "squared_denominator"),
    (lambda x: 2*x/1+x**2, "precedence"),
])
def test_cauchy_loss_grad_mistakes(fn, key):
    fails_with(key, check.cauchy_loss_grad, fn)


def test_progress_table_reflects_results(capsys):
    with pytest.raises(AssertionError):
        check.central_difference(forward_difference, quiet=True)
    check.progress()
    out = capsys.readouterr().out
    assert "central_difference" in out and "failed" in out


# --- the notebook's text -----------------------------------------------------------------

def _cells():
    import nbedit
    from conftest import solution_path
    return {c["id"]: "".join(c["source"]) for c in nbedit.read(solution_path(NB))["cells"]}


def _run_cell(source, namespace):
    """Run a code cell with matplotlib's Agg backend; return what it printed."""
    import contextlib
    import io
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    namespace.setdefault("np", np)
    namespace.setdefault("plt", plt)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source.replace("plt.show()", "plt.close('all')"), namespace)
    plt.close("all")
    return out.getvalue()


def test_every_number_in_the_text_is_printed_by_the_code(sol):
    """The float32 accuracy, the error at h = 1e-5, the plateau: each number the text quotes
    (written like 5.9e-11) is one a code cell prints."""
    import re
    cells = _cells()
    printed = _run_cell(cells["plot-error-vs-h"], {}) + _run_cell(
        cells["use-central"], {"central_difference": sol.central_difference})
    for cid in ("roundoff", "read-plot", "gradient", "relerr", "summary"):
        for number in re.findall(r"\d\.\de-\d\d", cells[cid]):
            assert number in printed, (cid, number)
    text = cells["read-plot"]
    assert "round to $x$ itself" in text and "exactly 0" in text, "the float32 plateau is explained"
    assert "about $10^{-4}$" not in text and "near $10^{-10}$" not in cells["relerr"]


def test_the_text_states_which_tolerance_applies_where():
    cells = _cells()
    assert "$10^{-9}$ to $10^{-7}$" in cells["read-plot"] and "Which tolerance applies where" in cells["read-plot"]
    assert "costs about as much as one forward pass" not in cells["gradient"]
    assert "two to three times" in cells["gradient"]


def test_glossary_uses_the_terms_learners_search_for():
    glossary = _cells()["glossary"]
    for term in ("수치 미분", "해석적 미분", "전방 차분", "전진 차분", "중심 차분", "중앙 차분",
                 "기울기 확인", "차분 간격"):
        assert term in glossary, term
    assert "| 간격, 스텝 크기 |" not in glossary


def test_the_error_plot_cell_is_vectorized():
    """The error-versus-h cell computes each curve with one numpy expression, not a Python loop
    over 301 steps (its time is reported by benchmarks/cell_times.py, not asserted here)."""
    source = _cells()["plot-error-vs-h"]
    assert "for h in hs" not in source, "one numpy expression per curve, not a Python loop"
    _run_cell(source.replace("plt.show()", "plt.gcf().canvas.draw()"), {})


# --- inputs that are not kind, and the mistakes they reveal ----------------------------------

def cd_hard_coded_sin(f, x, h=1e-5):
    return (np.sin(x + h) - np.sin(x - h)) / (2 * h)


def test_a_hard_coded_function_is_named():
    """The first case is sin, so np.sin written into the formula passes it; the next names it."""
    message = fails_with("ignores_f", check.central_difference, cd_hard_coded_sin)
    assert "not of the function f it was given" in message and "for f = exp" in message


def test_central_difference_takes_an_integer_x():
    seen = []

    def recording(f, x, h=1e-5):
        seen.append(x)
        return (f(x + h) - f(x - h)) / (2 * h)
    check.central_difference(recording, quiet=True)
    assert any(isinstance(x, (int, np.integer)) for x in seen)


def ng_two_loops(f, x, h=1e-5):
    """Two nested loops: right on 2-D arrays only."""
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            xp, xm = x.copy(), x.copy()
            xp[i, j] += h; xm[i, j] -= h
            g[i, j] = (f(xp) - f(xm)) / (2 * h)
    return g


def ng_two_loops_old(f, x, h=1e-5):
    """The same with old = x[i, j], which is a view of a whole row on a 3-D array."""
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            old = x[i, j]
            x[i, j] = old + h; fp = f(x)
            x[i, j] = old - h; fm = f(x)
            x[i, j] = old
            g[i, j] = (fp - fm) / (2 * h)
    return g


@pytest.mark.parametrize("fn", [ng_two_loops, ng_two_loops_old])
@pytest.mark.parametrize("hidden", [False, True])
def test_loops_that_assume_two_dimensions_are_named(fn, hidden):
    """Visible: a 3-D array shows wrong values; hidden: a 1-D array raises IndexError first."""
    message = fails_with("fixed_ndim", check.numerical_gradient, fn, hidden=hidden)
    assert "np.ndindex(x.shape)" in message and ("(4, 2, 3)" in message if not hidden else "(5,)" in message)


def test_numerical_gradient_cases_follow_the_input_rules():
    """Each side: shapes with no two equal axes, of different sizes and numbers of dimensions,
    an integer point, an explicit h and the default."""
    for hidden in (False, True):
        cases = check.NG_CASES[hidden]
        shapes = [shape for shape, *_ in cases]
        assert all(len(set(s)) == len(s) for s in shapes) and len({len(s) for s in shapes}) >= 2
        assert any(point is not None for _, _, point, _ in cases)
        assert {h is None for *_, h in cases} == {True, False}


def re_python_max(a, b, floor=1e-3):
    return max(abs(a - b)) / max(max(abs(a)), max(abs(b)), floor)


def re_floor_fixed(a, b, floor=1e-3):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-3)


def re_in_place(a, b, floor=1e-3):
    a -= b                                          # a is the caller's array
    return np.max(np.abs(a)) / max(np.max(np.abs(a + b)), np.max(np.abs(b)), floor)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn, key", [
    (re_python_max, "python_max"),
    (re_floor_fixed, "ignores_floor"),
    (re_in_place, "mutated_input"),
])
def test_relative_error_rules_the_text_states(fn, key, hidden):
    """0-d and integer arrays, the floor argument, a and b left unchanged: visible and hidden."""
    fails_with(key, check.relative_error, fn, hidden=hidden)


def test_relative_error_cases_include_integers_zero_d_and_a_floor():
    for hidden in (False, True):
        cases = check.RE_CASES[hidden]
        assert any(np.issubdtype(c[0].dtype, np.integer) for c in cases)
        assert any(c[0].ndim == 0 for c in cases)
        assert any(len(c) == 3 and c[2] != 1e-3 for c in cases)


def cauchy_zeros_like(x):
    g = np.zeros_like(x)                            # an integer array when x is
    for idx in np.ndindex(x.shape):
        g[idx] = 2 * x[idx] / (1 + x[idx] ** 2)
    return g


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn, key", [
    (lambda x: 2.0 / (1.0 + x ** 2), "inner_derivative_wrong"),
    (lambda x: 2.0 * x * np.log1p(x ** 2), "kept_log"),
    (lambda x: 2 * x / (1 + x) ** 2, "precedence"),
    (cauchy_zeros_like, "integer_dtype"),
    (lambda x: np.sum(2 * x / (1 + x ** 2)), "scalar_instead"),
])
def test_more_cauchy_loss_grad_mistakes(fn, key, hidden):
    fails_with(key, check.cauchy_loss_grad, fn, hidden=hidden)


def test_named_mistakes_point_to_hints_the_notebook_has():
    """'see hint N of Exercise M' must find a hint N in Exercise M's markdown, and each
    exercise's hints are numbered 1, 2, ..."""
    import nbedit
    from cited_hints import offered, problems
    from conftest import solution_path
    nb = nbedit.read(solution_path(NB))
    assert problems(check, nb, tables=("RE_HINTS",)) == []
    assert all(len(h) >= 2 for h in offered(nb, check.EXERCISES.keys).values()), "every exercise has hints"


def test_a_named_mistake_says_which_hint_to_open():
    message = fails_with("divided_by_h", check.central_difference,
                         lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h)
    assert message.endswith("see hint 2 of Exercise 1 (Central-difference derivative of a scalar function) above.")


# --- convergence_order

def co_right(estimate, f, df, x, h):
    return np.log10(abs(estimate(f, x, h) - df(x)) / abs(estimate(f, x, h / 10) - df(x)))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn, key", [
    (lambda e, f, df, x, h: -co_right(e, f, df, x, h), "ratio_inverted"),
    (lambda e, f, df, x, h: np.log(abs(e(f, x, h) - df(x)) / abs(e(f, x, h / 10) - df(x))), "natural_log"),
    (lambda e, f, df, x, h: co_right(e, f, df, x, 10 * h), "wrong_step"),
    (lambda e, f, df, x, h: np.log10(abs(e(f, x, h) / e(f, x, h / 10))), "not_errors"),
    (lambda e, f, df, x, h: co_right(lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h), f, df, x, h), "ignores_estimate"),
    (lambda e, f, df, x, h: 2.0, "wrong_values"),
])
def test_convergence_order_mistakes(fn, key, hidden):
    fails_with(key, check.convergence_order, fn, hidden=hidden)


@pytest.mark.parametrize("fn", [
    lambda e, f, df, x, h: np.log10(abs(e(f, x, h) - df(x)) / abs(e(f, x, h * 0.1) - df(x))),
    lambda e, f, df, x, h: np.log(abs(e(f, x, h) - df(x)) / abs(e(f, x, h / 10) - df(x))) / np.log(10),
    lambda e, f, df, x, h: np.log10(abs(e(f, x, h) - df(x))) - np.log10(abs(e(f, x, h / 10) - df(x))),
])
@pytest.mark.parametrize("hidden", [False, True])
def test_convergence_order_accepts_right_answers_written_otherwise(fn, hidden):
    """h * 0.1 for h / 10 moves the five-point formula's p by 2.7e-9 relative: inside rtol 1e-6."""
    check.convergence_order(fn, hidden=hidden, quiet=True)


def test_convergence_order_cases_have_three_orders():
    """A constant (2, the central difference's order) cannot pass: the formulas have orders 1, 2, 4."""
    for hidden in (False, True):
        orders = {round(check._order(est, f, df, x, h)) for _, est, _, f, df, x, h in check.ORDER_CASES[hidden]}
        assert orders == {1, 2, 4}


# --- classes of mistakes a blind catalog found (issue 18): named by what was computed -----------

@pytest.mark.parametrize("fn, key, says", [
    # the right formula at another step: named exactly, though the results differ by ~1e-7 only
    (lambda f, x, h=1e-5: (f(x + h * max(1, abs(x))) - f(x - h * max(1, abs(x)))) / (2 * h * max(1, abs(x))),
     "other_step", "h max(1, |x|)"),
    (lambda f, x, h=1e-5: (f(x + h / 2) - f(x - h / 2)) / h, "other_step", "step h/2"),
    (lambda f, x, h=1e-5: (f(x + 2 * h) - f(x - 2 * h)) / (4 * h), "other_step", "(f(x + 2h) - f(x - 2h)) / (4h)"),
    # two points that are not centred on x, whichever they are
    (lambda f, x, h=1e-5: (f(x + 2 * h) - f(x)) / (2 * h), "not_centred", "(f(x + 2h) - f(x)) / (2h)"),
    (lambda f, x, h=1e-5: (f(x) - f(x - 2 * h)) / (2 * h), "not_centred", "points x and x - 2h"),
    (lambda f, x, h=1e-5: (f(x + h) - f(x)) / (2 * h), "not_centred", "(f(x + h) - f(x)) / (2h)"),
    (lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (4 * h), "wrong_divisor", "distance between the two points"),
])
def test_a_difference_formula_is_named_by_what_it_computes(fn, key, says):
    message = fails_with(key, check.central_difference, fn)
    assert says in message, message


def co_signed(estimate, f, df, x, h):
    return float(np.log10((estimate(f, x, h) - df(x)) / (estimate(f, x, h / 10) - df(x))))


def co_signed_math(estimate, f, df, x, h):
    import math
    return math.log10((estimate(f, x, h) - df(x)) / (estimate(f, x, h / 10) - df(x)))


def co_signed_quiet(estimate, f, df, x, h):
    with np.errstate(invalid="ignore"):
        return co_signed(estimate, f, df, x, h)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", [co_signed, co_signed_math, co_signed_quiet])
def test_errors_without_abs_are_named_where_their_signs_differ(fn, hidden):
    message = fails_with("signed_errors", check.convergence_order, fn, hidden=hidden)
    assert "opposite signs" in message and "|estimate(f, x, step) - df(x)|" in message


def test_the_sign_changing_case_is_a_real_measurement():
    """The errors of the last case change sign between h and h/10 (so signed errors fail there),
    and the right p is a finite, ordinary number."""
    for hidden in (False, True):
        _, est, _, f, df, x, h = check.ORDER_CASES[hidden][-1]
        big, small = check._signed_errors(est, f, df, x, h)
        assert big * small < 0 and 1.0 < check._order(est, f, df, x, h) < 1.5


def ng_moves_a_copy(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    flat = x.flatten()                      # a copy: f(x) never sees the moves
    g = np.zeros(x.size)
    for i in range(x.size):
        old = flat[i]
        flat[i] = old + h; fp = f(x)
        flat[i] = old - h; fm = f(x)
        flat[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g.reshape(x.shape)


def ng_skips(first, last):
    def numerical_gradient(f, x, h=1e-5):
        x = np.array(x, dtype=float)
        g = np.zeros_like(x)
        flat, gflat = x.reshape(-1), g.reshape(-1)
        for i in range(1 if first else 0, x.size - (1 if last else 0)):
            old = flat[i]
            flat[i] = old + h; fp = f(x)
            flat[i] = old - h; fm = f(x)
            flat[i] = old
            gflat[i] = (fp - fm) / (2 * h)
        return g
    return numerical_gradient


def test_a_gradient_of_moves_f_never_saw_says_why():
    message = fails_with("all_zeros", check.numerical_gradient, ng_moves_a_copy)
    assert "x.flatten() and x.copy() are new arrays" in message


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("first, last, says", [(False, True, "The last entry"), (True, False, "The first entry")])
def test_entries_a_loop_never_visits_are_named(first, last, says, hidden):
    message = fails_with("entries_skipped", check.numerical_gradient, ng_skips(first, last), hidden=hidden)
    assert says in message and "range(n - 1)" in message


def re_floor_or(a, b, floor=1e-3):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / (max(np.max(np.abs(a)), np.max(np.abs(b))) or floor))


@pytest.mark.parametrize("hidden", [False, True])
def test_a_floor_used_only_at_zero_is_named(hidden):
    message = fails_with("floor_only_at_zero", check.relative_error, re_floor_or, hidden=hidden)
    assert "or floor" in message


def cauchy_in_place(x):
    g = 2 * x
    g /= 1 + x ** 2                     # an integer g cannot hold the quotient
    return g


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn, key, says", [
    (cauchy_in_place, "integer_in_place", "an in-place `/=`"),
    (lambda x: 2 * x / (1 + x @ x) if np.ndim(x) == 1 else 2 * x / (1 + np.sum(x ** 2)), "sum_of_squares",
     "x @ x"),
    (lambda x: 2 * x / (1 + np.sum(x ** 2)), "sum_of_squares", "np.sum(x**2)"),
    (lambda x: 2 / (x + 1 / x), "divides_at_zero", "at x_i = 0"),
])
def test_cauchy_mistakes_named_by_their_cause(fn, key, says, hidden):
    message = fails_with(key, check.cauchy_loss_grad, fn, hidden=hidden)
    assert says in message, message
