"""Checks for notebook 00_finite_differences."""
import numpy as np

from .. import Mistake, like
from ..check import check_answer, check_grad
from ..compare import relative_error as course_relative_error
from ..guard import CheckFailed, call
from . import Exercises

EXERCISES = Exercises("00_finite_differences", [
    ("central_difference", "Central-difference derivative of a scalar function", 2),
    ("numerical_gradient", "Numerical gradient of a function of an array", 3),
    ("relative_error", "The course's relative error", 2),
    ("cauchy_loss_grad", "Your first analytic gradient, checked numerically", 1),
])
progress = EXERCISES.progress


def _cube(t):
    return t ** 3


# (label, f, exact derivative, x, h) — h=None means "call with the default h".
CD_CASES = {
    False: [("sin", np.sin, np.cos, 0.7, 1e-2),
            ("exp", np.exp, np.exp, -1.3, 1e-3),
            ("t**3", _cube, lambda t: 3 * t ** 2, 2.5, 0.1),
            ("sin", np.sin, np.cos, 0.7, None)],
    True: [("tanh", np.tanh, lambda t: 1 - np.tanh(t) ** 2, 0.3, 0.05),
           ("log", np.log, lambda t: 1 / t, 2.0, 1e-2),
           ("t**3", _cube, lambda t: 3 * t ** 2, -1.5, 0.2),
           ("exp", np.exp, np.exp, 0.4, None)],
}


def _fd(f, x, h, kind):
    if kind == "central":
        return (f(x + h) - f(x - h)) / (2 * h)
    if kind == "forward":
        return (f(x + h) - f(x)) / h
    if kind == "backward":
        return (f(x) - f(x - h)) / h
    if kind == "over_h":
        return (f(x + h) - f(x - h)) / h
    raise ValueError(kind)


CD_MISTAKES = [
    like("forward_difference",
         "this is the forward difference (f(x+h) - f(x)) / h; the central difference "
         "uses the two points x+h and x-h: (f(x+h) - f(x-h)) / (2h).",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "forward")),
    like("backward_difference",
         "this is the backward difference (f(x) - f(x-h)) / h; use (f(x+h) - f(x-h)) / (2h).",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "backward")),
    like("divided_by_h",
         "you divided by h, but x-h and x+h are 2h apart: divide by 2h.",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "over_h")),
    like("ignores_h",
         "your result does not use the h it was given (it matches h = 1e-5): use the argument h.",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], 1e-5, "central") if ev.inputs[2] != 1e-5 else np.nan),
]


@EXERCISES.check("central_difference")
def central_difference(fn, *, hidden=False):
    for label, f, df, x, h in CD_CASES[hidden]:
        args = (f, x) if h is None else (f, x, h)
        raw = call(fn, *args, what="central_difference")
        used_h = 1e-5 if h is None else h
        if h is None:
            # With the default h the answer must be the derivative itself, to ~1e-9.
            expected, rtol, where = df(x), 1e-8, f", for f = {label} at x = {x} with the default h"
        else:
            expected, rtol, where = _fd(f, x, h, "central"), 1e-9, f", for f = {label} at x = {x}, h = {h}"
        check_answer("central_difference", raw, expected, name="the result", rtol=rtol,
                     mistakes=CD_MISTAKES, inputs=(f, x, used_h), context=where)


def _gradient_case(shape, seed):
    r = np.random.default_rng(seed)
    c = r.standard_normal(shape)

    def f(z):
        return float(np.sum(np.sin(z) * c) + 0.5 * np.sum(z * z))

    def grad(z):
        return np.cos(z) * c + z
    return f, grad, r.standard_normal(shape)


def _forward_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp = x.copy(); xp[idx] += h
        g[idx] = (f(xp) - f(x)) / h
    return g


def _row_gradient(f, x, h=1e-5):
    """What a loop over range(len(x)) computes: one number per row, repeated along it."""
    g = np.zeros_like(x)
    for i in range(len(x)):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


NG_MISTAKES = [
    like("forward_difference",
         "you used the forward difference (f(x+h) - f(x)) / h; use the central difference "
         "(f(x+h) - f(x-h)) / (2h) for each entry.",
         lambda ev: _forward_gradient(ev.inputs[0], ev.inputs[1])),
    like("perturbed_all_entries",
         "every entry got the same number: you moved all of x at once. Perturb ONE entry "
         "x[i] at a time, keep the others fixed, then put x[i] back.",
         lambda ev: np.full(ev.want, (ev.inputs[0](ev.inputs[1] + 1e-5) - ev.inputs[0](ev.inputs[1] - 1e-5)) / 2e-5)),
    like("whole_rows",
         "you moved whole rows at once: on a 2-D array x[i] is a row. Visit every entry with "
         "`for idx in np.ndindex(x.shape):` and perturb x[idx].",
         lambda ev: _row_gradient(ev.inputs[0], ev.inputs[1])),
    # Reached only when the same code passed on a float array: the integers are the difference.
    Mistake("integer_input",
            "x holds integers, and x[i] += h on an integer array rounds the step away: "
            "work on a float copy, x = np.array(x, dtype=float).",
            lambda ev: np.issubdtype(np.asarray(ev.inputs[2]).dtype, np.integer)),
]


@EXERCISES.check("numerical_gradient")
def numerical_gradient(fn, *, hidden=False):
    cases = [_gradient_case((2, 3, 2), 7) if hidden else _gradient_case((3, 4), 3)]
    if hidden:
        f, grad, _ = _gradient_case((2, 3), 8)
        cases.append((f, grad, np.arange(-3, 3).reshape(2, 3)))
    for f, grad, point in cases:
        kind = "an integer" if np.issubdtype(point.dtype, np.integer) else "a float"
        given = point.copy()
        raw = call(fn, f, given, what="numerical_gradient")
        if not np.array_equal(given, point):
            raise CheckFailed("numerical_gradient changed x: after perturbing x[i], put the original "
                              "value back (or work on a copy), so that each entry is measured at the "
                              "same point.", key="x_not_restored")
        check_answer("numerical_gradient", raw, grad(point.astype(float)), name="the gradient",
                     rtol=1e-7, mistakes=NG_MISTAKES, inputs=(f, point.astype(float), point),
                     context=f", for {kind} array of shape {point.shape}")


RE_CASES = {
    False: [(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.3])),
            (np.array([[1e-3, -2.0], [4.0, 0.5]]), np.array([[1.1e-3, -2.0], [3.9, 0.5]])),
            (np.array([-5.0, 2.0]), np.array([5.0, 2.0])),
            (np.array([2e-9, 1e-9]), np.array([1e-9, 1e-9])),
            (np.array([0.25]), np.array([0.25]))],
    True: [(np.array([[3.0, -1.0], [0.0, 2.0]]), np.array([[2.0, -1.0], [0.0, 2.5]])),
           (np.array([1e-6, 0.0, -3e-6]), np.array([0.0, 1e-6, -3e-6])),
           (np.array([100.0, -200.0]), np.array([100.5, -199.0]))],
}


def _rel_variant(a, b, kind, floor=1e-3):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if kind == "no_abs":
        return np.max(a - b) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)
    if kind == "entrywise":
        return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12))
    if kind == "b_only":
        return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), floor)
    if kind == "mean":
        return np.mean(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)
    if kind == "sum":
        return np.sum(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)
    raise ValueError(kind)


def _rel_row(key, sentence, kind):
    return like(key, sentence, lambda ev: _rel_variant(ev.inputs[0], ev.inputs[1], kind))


RE_MISTAKES = [
    _rel_row("no_abs", "the numerator needs the absolute difference: max |a - b|, not max(a - b).", "no_abs"),
    _rel_row("entrywise", "you divided entry by entry; this course divides the LARGEST difference by the "
                          "LARGEST magnitude, so entries near 0 cannot blow the ratio up.", "entrywise"),
    _rel_row("b_only", "the denominator must be symmetric in a and b: max(max|a|, max|b|, floor).", "b_only"),
    _rel_row("mean_not_max", "you averaged the differences; the course takes the largest: max |a - b|.", "mean"),
    _rel_row("sum_not_max", "you summed the differences; the course takes the largest: max |a - b|.", "sum"),
]


@EXERCISES.check("relative_error")
def relative_error(fn, *, hidden=False):
    zeros = np.zeros(3)
    try:
        raw = call(fn, zeros, zeros.copy(), what="relative_error")
    except CheckFailed as exc:
        if exc.key != "warning":
            raise
        raise CheckFailed("relative_error(0, 0) divided by zero: keep the floor in the denominator, "
                          "max(max|a|, max|b|, floor), so two zero arrays give 0.", key="no_floor") from None
    if raw is None or not np.all(np.isfinite(np.asarray(raw, dtype=float))) or float(np.asarray(raw)) != 0.0:
        raise CheckFailed(f"relative_error of two zero arrays must be 0, got {raw!r}: keep the floor "
                          f"in the denominator.", key="no_floor")
    for a, b in RE_CASES[hidden]:
        raw = call(fn, a.copy(), b.copy(), what="relative_error")
        check_answer("relative_error", raw, course_relative_error(a, b), name="the result", rtol=1e-9,
                     mistakes=RE_MISTAKES, inputs=(a, b), context=f", for a = {a.tolist()}, b = {b.tolist()}")


def cauchy_loss(x):
    """f(x) = sum_i log(1 + x_i^2), the loss whose gradient the learner writes."""
    x = np.asarray(x, dtype=float)
    return float(np.sum(np.log1p(x * x)))


CAUCHY_MISTAKES = [
    like("missing_inner_derivative",
         "you forgot the inner derivative: d/dx log(1 + x^2) = 1/(1 + x^2) * 2x (chain rule).",
         lambda ev: 1.0 / (1.0 + ev.inputs[0] ** 2)),
    like("missing_outer_derivative",
         "you forgot the outer derivative: d/du log(u) = 1/u, so divide 2x by (1 + x^2).",
         lambda ev: 2.0 * ev.inputs[0]),
]


@EXERCISES.check("cauchy_loss_grad")
def cauchy_loss_grad(fn, *, hidden=False):
    x = np.random.default_rng(12 if hidden else 5).standard_normal((4, 3) if hidden else 6) * 2
    check_grad(cauchy_loss, fn, x, mistakes=CAUCHY_MISTAKES, quiet=True)
