"""Checks for notebook 00_finite_differences."""
import dataclasses

import numpy as np

from .. import Mistake, like
from ..catalog import SAME
from ..check import check_answer, check_grad
from ..compare import relative_error as course_relative_error
from ..guard import CheckFailed, call
from ..i18n import N_, tr, translated
from . import Exercises

EXERCISES = Exercises("00_finite_differences", [
    ("central_difference", "Central-difference derivative of a scalar function", 2),
    ("convergence_order", "The order of a difference formula, measured", 1),
    ("numerical_gradient", "Numerical gradient of a function of an array", 3),
    ("relative_error", "The course's relative error", 2),
    ("cauchy_loss_grad", "Your first analytic gradient, checked numerically", 1),
])
progress = EXERCISES.progress


def _cube(t):
    return t ** 3


# (label, f, exact derivative, x, h) — h=None means "call with the default h".  The visible
# cases include an integer x (a learner may start from one) and functions other than sin (a
# hard-coded np.sin passes the first case only).
CD_CASES = {
    False: [("sin", np.sin, np.cos, 0.7, 1e-2),
            ("exp", np.exp, np.exp, -1.3, 1e-3),
            ("t**3", _cube, lambda t: 3 * t ** 2, 2, 0.1),
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
    if kind == "precedence":
        return (f(x + h) - f(x - h)) / 2 * h
    raise ValueError(kind)


def _exactly(key, says, wrong_answer, hint=None, rtol=1e-9, details=None):
    """A named alternative matched as tightly as the check compares (``like`` uses 1e-6): two
    difference formulas of the same f often differ by less than 1e-6 relative."""
    def test(ev):
        alt = np.asarray(wrong_answer(ev), dtype=np.float64)
        return alt.shape == ev.yours.shape and bool(np.all(np.isfinite(alt))) and \
            course_relative_error(ev.yours, alt) <= rtol
    return Mistake(key, says, test, hint=hint, details=details)


def _otherwise(sentence):
    """The last row for a single number: without it the generic catalog would call any wrong
    number "off by a constant factor", which is true of every pair of numbers and names nothing."""
    return Mistake("wrong_values", sentence, lambda ev: True)


def _of_sin(ev):
    """The central difference of np.sin at the same x and h: a hard-coded sin (nan when f is sin)."""
    f, x, h = ev.inputs[:3]
    return np.nan if f is np.sin else _fd(np.sin, x, h, "central")


def _point(k):
    """The text of the point x + k h (k = -2 ... 2)."""
    return "x" if k == 0 else f"x {'+' if k > 0 else '-'} {'' if abs(k) == 1 else abs(k)}h"


def _formula(p, q, d):
    """'(f(x + 2h) - f(x)) / (2h)': the difference of f at the points x + p h and x + q h, over d h."""
    return f"(f({_point(p)}) - f({_point(q)})) / " + ("h" if d == 1 else f"({d}h)")


def _two_points(p, q, d):
    """A difference formula other than the central one: f at x + p h and x + q h, divided by d h.
    Named by the formula itself (the learner sees what was written) and what differs from
    (f(x + h) - f(x - h)) / (2h)."""
    issues = []     # (key, template, fields): translated where the sentence is written
    if p + q:
        issues.append(("not_centred", N_("its points {p} and {q} are not centred on x: take one step h to each side"),
                       {"p": _point(p), "q": _point(q)}))
    elif abs(p) != 1:
        issues.append(("other_step", N_("its points are {k}h from x: the step is h"), {"k": abs(p)}))
    if p < q:
        issues.append(("sign_flipped", N_("f(x + h) comes first"), {}))
    if d != abs(p - q):
        gap = "h" if abs(p - q) == 1 else f"{abs(p - q)}h"
        issues.append(("wrong_divisor", N_("divide by the distance between the two points ({gap} here, "
                                           "2h in the central difference)"), {"gap": gap}))
    key = issues[0][0]
    return _exactly(key, N_("yours is {formula}; the central difference is (f(x + h) - f(x - h)) / (2h): {why}."),
                    lambda ev: (ev.inputs[0](ev.inputs[1] + p * ev.inputs[2])
                                - ev.inputs[0](ev.inputs[1] + q * ev.inputs[2])) / (d * ev.inputs[2]),
                    hint=2 if key == "wrong_divisor" else 3 if key == "sign_flipped" else 1,
                    details=lambda ev: {"formula": _formula(p, q, d),
                                        "why": "; ".join(tr(t, **f) for _, t, f in issues)})


# The other formulas a two-point difference can be: every pair of the points x - 2h ... x + 2h,
# over h, 2h or 4h (the right one, and the ones named above it, excepted).
TWO_POINTS = [_two_points(p, q, d) for p in range(2, -3, -1) for q in range(2, -3, -1) for d in (1, 2, 4)
              if p != q and (p, q, d) not in ((1, -1, 2), (1, 0, 1), (0, -1, 1), (1, -1, 1), (-1, 1, 2))]


def _central_at(step):
    """The central difference of the case's f at its x with another step (nan when that step is h)."""
    def wrong(ev):
        f, x, h = ev.inputs[:3]
        s = step(x, h)
        return np.nan if s is None or abs(s - h) <= 1e-12 * h else _fd(f, x, s, "central")
    return wrong


CD_MISTAKES = [
    # the right formula with another step: matched exactly (they differ from yours by ~1e-7)
    _exactly("ignores_h", N_("your result does not use the h it was given: it is the central difference at "
                             "h = 1e-5 (the default): use the argument h."), _central_at(lambda x, h: 1e-5)),
    _exactly("other_step", N_("your step is h max(1, |x|), not h: the course's own checks scale their step so for "
                              "large inputs (section 2), but this function must use the h it is given, as it is."),
             _central_at(lambda x, h: h * max(1.0, abs(x)))),
    _exactly("other_step", N_("your step is h |x|, not h: use the h you are given, as it is: "
                              "(f(x + h) - f(x - h)) / (2h)."), _central_at(lambda x, h: h * abs(x) if x else None)),
    _exactly("other_step", N_("yours is (f(x + h/2) - f(x - h/2)) / h, the central difference with step h/2: "
                              "take a whole step h to each side: (f(x + h) - f(x - h)) / (2h)."),
             _central_at(lambda x, h: h / 2), hint=2),
    like("forward_difference",
         "this is the forward difference (f(x+h) - f(x)) / h; the central difference "
         "uses the two points x+h and x-h: (f(x+h) - f(x-h)) / (2h).",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "forward"), hint=1),
    like("backward_difference",
         "this is the backward difference (f(x) - f(x-h)) / h; use (f(x+h) - f(x-h)) / (2h).",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "backward"), hint=1),
    like("divided_by_h",
         "you divided by h, but x-h and x+h are 2h apart: divide by 2h.",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "over_h"), hint=2),
    like("ignores_f",
         "your result is the central difference of np.sin, not of the function f it was given: "
         "evaluate f itself, f(x + h) and f(x - h).", _of_sin),
    like("precedence",
         "`/ 2*h` divides by 2 and then MULTIPLIES by h (Python reads it left to right): "
         "write / (2 * h).",
         lambda ev: _fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "precedence"), hint=3),
    like("sign_flipped",
         "the result has the wrong sign: the central difference is (f(x+h) - f(x-h)) / (2h), "
         "with f(x+h) first.",
         lambda ev: -_fd(ev.inputs[0], ev.inputs[1], ev.inputs[2], "central"), hint=3),
] + TWO_POINTS + [
    # the default-h case comes last, so reaching it means every explicit h was used right
    Mistake("wrong_default_h",
            "your result is right for every h the check passed, but not with the default: the "
            "signature must be central_difference(f, x, h=1e-5).",
            lambda ev: ev.inputs[3]),
    _otherwise(N_("the result is not the central difference (f(x+h) - f(x-h)) / (2h) of the f, x and h "
                  "it was given: compare your code with the formula term by term.")),
]


@EXERCISES.check("central_difference")
def central_difference(fn, *, hidden=False):
    for label, f, df, x, h in CD_CASES[hidden]:
        args = (f, x) if h is None else (f, x, h)
        raw = call(fn, *args, what="central_difference")
        used_h = 1e-5 if h is None else h
        if h is None:
            # With the default h the answer must be the derivative itself, to ~1e-9.
            expected, rtol, where = df(x), 1e-8, tr(", for f = {label} at x = {x} with the default h",
                                                    label=label, x=x)
        else:
            expected, rtol, where = _fd(f, x, h, "central"), 1e-9, tr(", for f = {label} at x = {x}, h = {h}",
                                                                      label=label, x=x, h=h)
        check_answer("central_difference", raw, expected, name=tr("the result"), rtol=rtol,
                     mistakes=CD_MISTAKES, inputs=(f, x, used_h, h is None), context=where)


def _five_point(f, x, h):
    """A fourth-order formula, (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h: an order the
    learner has not been told, so only a measurement can give it."""
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def _error(estimate, f, df, x, h):
    return abs(estimate(f, x, h) - df(x))


def _order(estimate, f, df, x, h, small=10.0):
    """log10(E(h) / E(h / small)): the right answer with small = 10."""
    return np.log10(_error(estimate, f, df, x, h) / _error(estimate, f, df, x, h / small))


def _estimates_ratio(ev):
    estimate, f, df, x, h = ev.inputs
    return np.log10(abs(estimate(f, x, h) / estimate(f, x, h / 10)))


def _central(f, x, h):
    return _fd(f, x, h, "central")


def _forward(f, x, h):
    return _fd(f, x, h, "forward")


# (label, the formula given to the learner's function, f, f', x, h): truncation-dominated steps,
# formulas of orders 2, 1 and 4 (hidden: 1, 2, 4 at other points), so no constant passes.
# The last case of each side sits near an inflection point of sin, where the error of the forward
# difference is h/2 f''(x) + h^2/6 f^(3)(x) + ...: the two terms have opposite signs, so E(h) and E(h/10)
# come out with opposite signs (p is about 1.1 there, and 1.3): errors must be taken with abs().
ORDER_CASES = {
    False: [(N_("the central difference"), _central, "sin", np.sin, np.cos, 0.7, 1e-2),
            (N_("the forward difference"), _forward, "exp", np.exp, np.exp, -1.3, 1e-2),
            (N_("a five-point formula"), _five_point, "exp", np.exp, np.exp, 0.5, 0.2),
            (N_("the forward difference"), _forward, "sin", np.sin, np.cos, -0.05, 0.3)],
    True: [(N_("the forward difference"), _forward, "sin", np.sin, np.cos, 1.1, 1e-2),
           (N_("the central difference"), _central, "exp", np.exp, np.exp, 0.3, 2e-2),
           (N_("a five-point formula"), _five_point, "sin", np.sin, np.cos, -0.4, 0.3),
           (N_("the forward difference"), _forward, "sin", np.sin, np.cos, 3.1, 0.3)],
}


def _signed_errors(estimate, f, df, x, h):
    """(E(h), E(h/10)) without abs(): their signs differ on the last case of each side."""
    return estimate(f, x, h) - df(x), estimate(f, x, h / 10) - df(x)


SIGNED = N_("E(h) = {big:.3g} and E(h/10) = {small:.3g} without abs() have opposite signs here, so their "
            "ratio is negative and its logarithm is nan. An error is a distance: E(step) = |estimate(f, x, step) "
            "- df(x)|, the absolute value of the difference (not the difference of absolute values).")

ORDER_MISTAKES = [
    like("ratio_inverted", "the ratio is upside down: with E proportional to h^p, E(h) / E(h/10) = 10^p, "
                           "so the larger error, E(h), goes on top (yours is -p).",
         lambda ev: -_order(*ev.inputs), hint=2),
    like("natural_log", "np.log is the natural logarithm: the steps differ by a factor 10, so p is "
                        "log10(E(h) / E(h/10)), np.log10 (or np.log(ratio) / np.log(10)).",
         lambda ev: np.log(10.0) * _order(*ev.inputs), hint=2),
    like("wrong_step", "the second step must be h / 10, ten times SMALLER; yours compares E(10 h) with "
                       "E(h).", lambda ev: _order(ev.inputs[0], *ev.inputs[1:4], 10 * ev.inputs[4]), hint=2),
    like("not_errors", "compare the ERRORS |estimate - f'(x)|, not the estimates themselves: two "
                       "estimates of the same derivative are nearly equal, so their ratio is about 1.",
         _estimates_ratio, hint=1),
    like("ignores_estimate", "your result does not use the formula `estimate` it was given (it matches the "
                             "central difference): call estimate(f, x, h) and estimate(f, x, h / 10).",
         lambda ev: np.nan if ev.inputs[0] is _central else _order(_central, *ev.inputs[1:]), hint=3),
    _otherwise(N_("the result is not log10(E(h) / E(h/10)) with E(step) = |estimate(f, x, step) - df(x)|: "
                  "compare your code with that formula term by term.")),
]


@EXERCISES.check("convergence_order", uses=("central_difference",))
def convergence_order(fn, *, hidden=False):
    for label, estimate, name, f, df, x, h in ORDER_CASES[hidden]:
        context = tr(", for {label} of f = {name} at x = {x}, h = {h}", label=translated(label), name=name, x=x, h=h)
        big, small = _signed_errors(estimate, f, df, x, h)
        signed = tr(SIGNED, big=big, small=small)
        try:
            raw = call(fn, estimate, f, df, x, h, what="convergence_order")
        except CheckFailed as exc:
            # log10 of a negative number: numpy warns and gives nan, math raises "math domain error"
            if big * small < 0 and (exc.key == "warning" and "invalid value" in str(exc)
                                    or exc.key == "exception" and "domain" in str(exc)):
                raise CheckFailed(tr("convergence_order{context}: {signed}", context=context, signed=signed), key="signed_errors", hint=1) from None
            raise
        if big * small < 0 and np.size(raw) == 1 and np.isnan(np.asarray(raw, dtype=np.float64)).all():
            raise CheckFailed(tr("convergence_order{context}: the result is nan: {signed}",
                                 context=context, signed=signed), key="signed_errors",
                              hint=1)
        # rtol 1e-6: right answers written another way (h * 0.1 for h / 10, np.log(r) / np.log(10))
        # differ by up to 2.7e-9 relative here (the five-point formula's small error at h / 10 is
        # sensitive to the last bit of the step); the named mistakes are off by factors of 2 or more
        check_answer("convergence_order", raw, _order(estimate, f, df, x, h), name="p", rtol=1e-6,
                     mistakes=ORDER_MISTAKES, inputs=(estimate, f, df, x, h), context=context)


def _gradient_case(shape, seed):
    """A scalar function that couples every pair of entries (not separable), its exact
    gradient, and a float point: x^T A x with A not symmetric, plus sin terms."""
    r = np.random.default_rng(seed)
    n = int(np.prod(shape))
    c = r.standard_normal(shape)
    A = r.standard_normal((n, n))

    def f(z):
        z = np.asarray(z, dtype=np.float64)
        v = z.ravel()
        return float(np.sum(np.sin(z) * c) + 0.5 * v @ A @ v)

    def grad(z):
        z = np.asarray(z, dtype=np.float64)
        return np.cos(z) * c + (0.5 * (A + A.T) @ z.ravel()).reshape(z.shape)
    return f, grad, r.standard_normal(shape)


def _simulate(f, x, h=1e-5, kind="central"):
    """What an entry-by-entry finite-difference loop computes, mistakes included.

    kind: "central" (the right algorithm), "forward", "precedence" (/ 2*h),
    "minus_last" / "plus_last" (the entry is never put back, so it stays at
    old - h / old + h while the next entries are measured), "aliased"
    (xp = x without a copy: +h then -h on the same array, so f(x - h e_i) is f(x)).
    """
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        if kind == "forward":
            x[idx] = old + h
            fp = f(x)
            x[idx] = old
            g[idx] = (fp - f(x)) / h
            continue
        if kind == "aliased":
            x[idx] += h
            fp = f(x)
            x[idx] -= h
            fm = f(x)
        elif kind == "plus_last":
            x[idx] = old - h
            fm = f(x)
            x[idx] = old + h
            fp = f(x)
        else:
            x[idx] = old + h
            fp = f(x)
            x[idx] = old - h
            fm = f(x)
            if kind != "minus_last":
                x[idx] = old
        g[idx] = (fp - fm) / 2 * h if kind == "precedence" else (fp - fm) / (2 * h)
    return g


def _two_index_loops(f, x, h=1e-5, style="copy"):
    """What two nested loops over x.shape[0] and x.shape[1] compute on an array of 3 dimensions:
    x[i, j] is a whole row there, moved at once; style "copy" moves copies (xp[i, j] += h),
    style "old" writes x[i, j] = old + h, old - h, old with old = x[i, j], a view of that row."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if style == "copy":
                xp, xm = x.copy(), x.copy()
                xp[i, j] += h
                xm[i, j] -= h
                g[i, j] = (f(xp) - f(xm)) / (2 * h)
            else:
                old = x[i, j]
                x[i, j] = old + h
                fp = f(x)
                x[i, j] = old - h
                fm = f(x)
                x[i, j] = old
                g[i, j] = (fp - fm) / (2 * h)
    return g


FIXED_NDIM = N_("your loops assume a 2-D array (x[i, j] with i < x.shape[0], j < x.shape[1]); x here has "
                "shape {shape}. Visit every index of an array of any number of dimensions with "
                "`for idx in np.ndindex(x.shape):` and move x[idx].")


def _row_gradient(f, x, h=1e-5):
    """What a loop over range(len(x)) computes: one number per row, repeated along it."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(len(x)):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


NOT_RESTORED = N_("the entry was not restored: after f(x + h e_i) and f(x - h e_i), put x[i] back "
                  "before moving the next entry (otherwise every later entry is measured at a point "
                  "where the earlier ones are still moved by h).")


def _fine_on_floats(ev):
    """The input holds integers, and the same function passes on the same point as floats."""
    f, x_float, x_given, fn, h = ev.inputs
    if not np.issubdtype(np.asarray(x_given).dtype, np.integer):
        return False
    try:
        again = call(fn, f, x_float.copy(), h, what="numerical_gradient")
        again = np.asarray(again, dtype=np.float64)
    except (CheckFailed, TypeError, ValueError):
        return False
    return again.shape == x_float.shape and ev.oracle.matches(again)


def _skipped(ev):
    """The flat indices of entries that are exactly 0 in yours, nonzero in the truth, while every
    other entry is right; None if that is not the picture."""
    truth = _simulate(ev.inputs[0], ev.inputs[1], ev.inputs[4])
    yours = ev.yours
    zero = (yours == 0) & (truth != 0)
    if not zero.any() or zero.all() or ev.oracle.wrong_mask(np.where(zero, truth, yours)).any():
        return None
    return np.flatnonzero(zero)


def _entries_skipped(ev):
    return _skipped(ev) is not None


def _skipped_details(ev):
    flat = _skipped(ev)
    n = ev.yours.size
    names = {0: N_("the first entry"), n - 1: N_("the last entry")}
    if len(flat) == 1:
        which = (translated(names[int(flat[0])]) if int(flat[0]) in names else
                 tr("entry {index}", index=np.unravel_index(int(flat[0]), ev.yours.shape)))
        return {"which": which.capitalize(), "verb": "is", "pronoun": "it was"}
    return {"which": tr("{n} entries (flat indices {indices})", n=len(flat),
                        indices=", ".join(map(str, flat[:6]))).capitalize(),
            "verb": "are", "pronoun": "they were"}


def _ng_mistakes():
    def sim(kind, h=None):
        return lambda ev: _simulate(ev.inputs[0], ev.inputs[1], ev.inputs[4] if h is None else h, kind)

    def two_loops(style):
        def test(ev):
            x = ev.inputs[1]
            if x.ndim != 3:
                return False
            wrong = _two_index_loops(ev.inputs[0], x, ev.inputs[4], style)
            return wrong.shape == ev.yours.shape and course_relative_error(ev.yours, wrong) <= SAME
        return Mistake("fixed_ndim", FIXED_NDIM, test, details=lambda ev: {"shape": ev.inputs[1].shape}, hint=2)

    return [
        like("forward_difference",
             "you used the forward difference (f(x+h) - f(x)) / h; use the central difference "
             "(f(x+h) - f(x-h)) / (2h) for each entry.", sim("forward"), hint=1),
        like("entry_not_restored", NOT_RESTORED, sim("minus_last"), hint=2),
        like("entry_not_restored", NOT_RESTORED, sim("plus_last"), hint=2),
        Mistake("all_zeros",
                "the gradient is all zeros: f(x + h e_i) and f(x - h e_i) came out equal, so f never saw "
                "your moves (or nothing was written into the gradient). The array you move must be the one "
                "you pass to f: x.flatten() and x.copy() are new arrays, so moving their entries leaves x "
                "alone; and `xp = x; xm = x` are one array under three names, so +h and -h both land on it "
                "before f is called. Move x[idx] itself (then put it back), or move copies and pass them "
                "to f.", lambda ev: not np.any(ev.yours), hint=3),
        Mistake("entries_skipped",
                "{which} of the gradient {verb} 0, and every other entry is right: {pronoun} never "
                "computed. Check your loop's bounds (range(n - 1) stops one short, range(1, n) starts "
                "one late): `for idx in np.ndindex(x.shape):` visits every entry.",
                _entries_skipped, details=_skipped_details, hint=2),
        like("aliased_copy",
             "f(x - h e_i) was evaluated at x itself: `xp = x` does not copy an array, so xp and xm "
             "are x, and the -h undid the +h. Copy with xp = x.copy(), or set x[i] = old + h, then "
             "old - h, then old.", sim("aliased"), hint=3),
        like("precedence",
             "`/ 2*h` divides by 2 and then MULTIPLIES by h (Python reads it left to right): "
             "write / (2 * h).", sim("precedence")),
        like("ignores_h",
             "your result does not use the h it was given (it matches h = 1e-5): use the argument h.",
             lambda ev: _simulate(ev.inputs[0], ev.inputs[1], 1e-5) if ev.inputs[4] != 1e-5 else np.nan),
        like("perturbed_all_entries",
             "every entry got the same number: you moved all of x at once. Perturb ONE entry "
             "x[i] at a time, keep the others fixed, then put x[i] back.",
             lambda ev: np.full(ev.want, (ev.inputs[0](ev.inputs[1] + ev.inputs[4])
                                          - ev.inputs[0](ev.inputs[1] - ev.inputs[4])) / (2 * ev.inputs[4])),
             hint=1),
        like("whole_rows",
             "you moved whole rows at once: on a 2-D array x[i] is a row. Visit every entry with "
             "`for idx in np.ndindex(x.shape):` and perturb x[idx].",
             lambda ev: _row_gradient(ev.inputs[0], ev.inputs[1], ev.inputs[4]), hint=2),
        two_loops("copy"),
        two_loops("old"),
        Mistake("float32",
                "the gradient is float32: single precision leaves only ~7 digits, too few for a "
                "finite difference (notebook section 2). Work in float64: x = np.array(x, dtype=float).",
                lambda ev: np.asarray(ev.raw).dtype == np.float32, hint=3),
        Mistake("integer_input",
                "integer array: the perturbation was truncated (x[i] += 1e-5 on an int array is cut "
                "back to an integer, so f is not evaluated at x + h e_i): work on a float copy, "
                "x = np.array(x, dtype=float). Your function is right on the same x given as floats.",
                _fine_on_floats, hint=3),
    ]


def _central_gradient(f, x, h):
    """The reference: the exact central difference the learner must compute."""
    return _simulate(f, x, h, "central")


# (shape, seed, integer point or None, h or None for the default).  Visible and hidden: arrays
# of different numbers of dimensions (no two axes of the same length), an integer point, an
# explicit h and the default.
NG_CASES = {
    False: [((3, 4), 3, None, 1e-3), ((2, 3), 4, [[2, -1, 3], [-2, 1, 4]], None), ((4, 2, 3), 5, None, 2e-3)],
    True: [((5,), 7, None, 2e-3), ((3, 2), 8, [[1, -3], [2, 0], [-1, 5]], None), ((2, 4, 3), 9, None, 1e-3)],
}


@EXERCISES.check("numerical_gradient")
def numerical_gradient(fn, *, hidden=False):
    for shape, seed, integer_point, h in NG_CASES[hidden]:
        f, grad, point = _gradient_case(shape, seed)
        if integer_point is not None:
            point = np.array(integer_point, dtype=np.int64)
        x_float = point.astype(np.float64)
        kind = tr("an integer") if integer_point is not None else tr("a float")
        given = point.copy()
        args = (f, given) if h is None else (f, given, h)
        try:
            raw = call(fn, *args, what="numerical_gradient")
        except CheckFailed as exc:
            if exc.key == "exception" and "IndexError" in str(exc) and point.ndim != 2:
                raise CheckFailed(tr("numerical_gradient raised IndexError for an array of shape {point_shape}: ",
                                     point_shape=point.shape) + tr(FIXED_NDIM, shape=point.shape), key="fixed_ndim", hint=2) from None
            raise
        if not np.array_equal(given, point):
            raise CheckFailed(tr("numerical_gradient changed x: after perturbing x[i], put the original value back (or "
                                 "work on a copy), so that each entry is measured at the same point."), key="x_not_restored", hint=3)
        if h is None:
            # the default h: the answer must be the gradient itself (the central difference at
            # h = 1e-5 is within ~1e-10 of it), to 1e-7
            expected, rtol, where = grad(x_float), 1e-7, tr(", for {kind} array of shape {shape} with the default h",
                                                            kind=kind, shape=point.shape)
        else:
            # an explicit h: exactly this central difference; only round-off may differ
            expected, rtol, where = _central_gradient(f, x_float, h), 1e-9, tr(
                ", for {kind} array of shape {shape}, h = {h}", kind=kind, shape=point.shape, h=h)
        check_answer("numerical_gradient", raw, expected, name=tr("the gradient"), rtol=rtol,
                     mistakes=_ng_mistakes(), inputs=(f, x_float, point, fn, 1e-5 if h is None else h),
                     context=where)


# Each case separates some of the wrong formulas below from the right one: an entry near 0
# (entrywise ratios), a largest magnitude that is negative (max without abs), differences of
# mixed sign (max(a - b) without abs), a tiny pair (the floor), equal arrays.
# Then: integer arrays, 0-d arrays (one number: Python's max() cannot iterate over them), and a
# floor other than the default (a floor written as 1e-3 in the body instead of the argument).
# A case with a third entry passes it as the floor.
RE_CASES = {
    False: [(np.array([1.0, 2.0, 3.0]), np.array([1.2, 1.7, 3.05])),
            (np.array([[1e-3, -2.0], [4.0, 0.5]]), np.array([[1.1e-3, -2.0], [3.9, 0.5]])),
            (np.array([-5.0, 2.0]), np.array([5.0, 2.0])),
            (np.array([-4.0, 1.0, 0.5]), np.array([-3.0, 1.5, 0.5])),
            (np.array([2e-9, 1e-9]), np.array([1e-9, 1e-9])),
            (np.array([0.25]), np.array([0.25])),
            (np.array([3, -1, 2, 0]), np.array([3, 1, 2, 1])),
            (np.array(2.0), np.array(2.5)),
            (np.array([2e-9, 1e-9]), np.array([1e-9, 1e-9]), 1e-8)],
    True: [(np.array([[3.0, -1.0], [0.0, 2.0]]), np.array([[2.0, -1.0], [0.0, 2.6]])),
           (np.array([0.5, -2.0, 1.0]), np.array([0.7, -2.5, 1.0])),
           (np.array([1e-6, 0.0, -3e-6]), np.array([0.0, 1e-6, -3e-6])),
           (np.array([-6.0, 0.02, 1.0]), np.array([-5.5, 0.025, 1.2])),
           (np.array([100.0, -200.0]), np.array([100.5, -199.0])),
           (np.array([[4, 0, -2], [1, 5, 3]]), np.array([[4, 1, -2], [1, 3, 3]])),
           (np.array(-1.5), np.array(-1.0)),
           (np.array([3e-7, -1e-7]), np.array([1e-7, -1e-7]), 1e-5)],
}


def _mx(v):
    return float(np.max(np.abs(v)))


# (key, the formula as the learner wrote it, the wrong answer of (a, b, floor)); 1e-8 is
# CS231n's gradient-check helper.
RE_VARIANTS = [
    ("no_abs", N_("max(a - b) without the absolute value"),
     lambda a, b, F: np.max(a - b) / max(_mx(a), _mx(b), F)),
    ("entrywise", "max_i |a_i - b_i| / max(|a_i|, |b_i|, floor)",
     lambda a, b, F: np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), F))),
    ("entrywise", "max_i |a_i - b_i| / max(|a_i| + |b_i|, floor)",
     lambda a, b, F: np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), F))),
    ("entrywise", N_("max_i |a_i - b_i| / max(|a_i| + |b_i|, 1e-8), CS231n's rel_error"),
     lambda a, b, F: np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8))),
    ("entrywise", "max_i |a_i - b_i| / (|a_i| + |b_i| + floor)",
     lambda a, b, F: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + F))),
    ("entrywise", "max_i |a_i - b_i| / max(|b_i|, floor)",
     lambda a, b, F: np.max(np.abs(a - b) / np.maximum(np.abs(b), F))),
    ("entrywise", "max_i |a_i - b_i| / max(|a_i|, floor)",
     lambda a, b, F: np.max(np.abs(a - b) / np.maximum(np.abs(a), F))),
    ("b_only", "max|a - b| / max(max|b|, floor)", lambda a, b, F: np.max(np.abs(a - b)) / max(_mx(b), F)),
    ("b_only", "max|a - b| / max(max|a|, floor)", lambda a, b, F: np.max(np.abs(a - b)) / max(_mx(a), F)),
    ("denominator_no_abs", "max(max(a), max(b), floor)",
     lambda a, b, F: np.max(np.abs(a - b)) / max(np.max(a), np.max(b), F)),
    ("denominator_sum", "max|a| + max|b|",
     lambda a, b, F: np.max(np.abs(a - b)) / max(_mx(a) + _mx(b), F)),
    ("floor_added", "max(max|a|, max|b|) + floor",
     lambda a, b, F: np.max(np.abs(a - b)) / (max(_mx(a), _mx(b)) + F)),
    ("floor_only_at_zero", N_("max(max|a|, max|b|) or floor"),
     lambda a, b, F: np.max(np.abs(a - b)) / (max(_mx(a), _mx(b)) or F)),
    ("norms", "||a - b|| / max(||a||, ||b||, floor)",
     lambda a, b, F: np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), F)),
    ("norms", "||a - b|| / max(||a|| + ||b||, floor)",
     lambda a, b, F: np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), F)),
    ("mean_not_max", "mean |a - b|",
     lambda a, b, F: np.mean(np.abs(a - b)) / max(_mx(a), _mx(b), F)),
    ("sum_not_max", "sum |a - b|",
     lambda a, b, F: np.sum(np.abs(a - b)) / max(_mx(a), _mx(b), F)),
]

RE_SAYS = {
    "no_abs": N_("the numerator needs the absolute difference: max |a - b|, not {form}."),
    "entrywise": N_("you divided entry by entry, {form}; this course divides the LARGEST difference by the "
                    "LARGEST magnitude, max|a - b| / max(max|a|, max|b|, floor), so an entry near 0 "
                    "cannot blow the ratio up."),
    "b_only": N_("the denominator must be symmetric in a and b: max(max|a|, max|b|, floor), not {form}."),
    "denominator_no_abs": N_("the denominator needs magnitudes: max(max|a|, max|b|, floor), not {form} "
                             "(a large negative entry counts as large)."),
    "denominator_sum": N_("the denominator is the LARGER of max|a| and max|b| (and the floor), not {form}."),
    "floor_added": N_("the floor is a lower bound on the denominator, max(max|a|, max|b|, floor), "
                      "not something added to it ({form})."),
    "floor_only_at_zero": N_("the floor takes part in every max, max(max|a|, max|b|, floor): it is the smallest "
                             "denominator allowed, so it counts whenever both arrays are smaller than it, not only "
                             "when they are exactly 0 (yours: {form}, or an `if` that tests for 0)."),
    "norms": N_("you used norms (square roots of sums of squares), {form}; the course uses the largest "
                "absolute entry: max|a - b| / max(max|a|, max|b|, floor)."),
    "mean_not_max": N_("you averaged the differences ({form}); the course takes the largest: max |a - b|."),
    "sum_not_max": N_("you summed the differences ({form}); the course takes the largest: max |a - b|."),
}


# The hint of the exercise that addresses each kind of formula.
RE_HINTS = {"no_abs": 1, "entrywise": 1, "b_only": 2, "denominator_no_abs": 2, "denominator_sum": 2,
            "floor_added": 2, "floor_only_at_zero": 2, "norms": 1, "mean_not_max": 1, "sum_not_max": 1}


def _rel_row(key, form, wrong):
    return dataclasses.replace(like(key, RE_SAYS[key], lambda ev: wrong(*ev.inputs), hint=RE_HINTS[key]),
                               details=lambda ev: {"form": translated(form)})


def _ignores_floor(ev):
    a, b, floor = ev.inputs
    return np.nan if floor == 1e-3 else course_relative_error(a, b, floor=1e-3)


RE_MISTAKES = [
    like("ignores_floor", "the floor is an argument: use the floor you are given, not 1e-3 written "
                          "into the formula (this call passed floor={floor}).", _ignores_floor, hint=2),
] + [_rel_row(*variant) for variant in RE_VARIANTS] + [
    _otherwise(N_("the result is not max|a - b| / max(max|a|, max|b|, floor): compare your code with "
                  "the formula term by term."))]


@EXERCISES.check("relative_error")
def relative_error(fn, *, hidden=False):
    zeros = np.zeros(3)
    try:
        raw = call(fn, zeros, zeros.copy(), what="relative_error")
    except CheckFailed as exc:
        if exc.key != "warning":
            raise
        raise CheckFailed(tr("relative_error(0, 0) divided by zero: keep the floor in the denominator, max(max|a|, "
                             "max|b|, floor), so two zero arrays give 0."), key="no_floor") from None
    try:
        value = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        value = None
    if value is not None and value.shape != ():
        raise CheckFailed(tr("relative_error must return one number; it returned an array of shape {value_shape}: "
                             "take the max over all entries.",
                             value_shape=value.shape), key="wrong_shape")
    if value is None or not np.isfinite(value) or float(value) != 0.0:
        raise CheckFailed(tr("relative_error of two zero arrays must be 0, got {raw!r}: keep the floor in the "
                             "denominator.",
                             raw=raw), key="no_floor")
    for a, b, *floor in RE_CASES[hidden]:
        given = (a.copy(), b.copy(), *floor)
        context = (tr(", for a = {a}, b = {b}, floor = {floor:g}", a=a.tolist(), b=b.tolist(), floor=floor[0])
                   if floor else tr(", for a = {a}, b = {b}", a=a.tolist(), b=b.tolist()))
        try:
            raw = call(fn, *given, what="relative_error")
        except CheckFailed as exc:
            text = str(exc)
            if exc.key == "exception" and ("0-d" in text or "truth value" in text or "iteration over" in text):
                raise CheckFailed(tr("relative_error{context}: Python's max() walks along the first axis of an array: it "
                                     "cannot iterate over a 0-d array (one number), and on a 2-D array it compares whole "
                                     "rows. Use np.max, which takes the largest of all entries: np.max(np.abs(a - b)).\n  "
                                     "({text_splitlines_0})",
                                     context=context, text_splitlines_0=text.splitlines()[0]),
                                  key="python_max", hint=3) from None
            raise
        if not (np.array_equal(given[0], a) and np.array_equal(given[1], b)):
            raise CheckFailed(tr("relative_error changed a or b in place{context}; compute new arrays (np.abs(a - b)), "
                                 "never write into the arrays you are given.",
                                 context=context), key="mutated_input")
        floor_used = floor[0] if floor else 1e-3
        rows = [Mistake(r.key, r.says, r.test, r.grads,
                        lambda ev, d=r.details: {**(d(ev) if d else {}), "floor": f"{floor_used:g}"}, r.hint)
                for r in RE_MISTAKES]
        check_answer("relative_error", raw, course_relative_error(a, b, floor=floor_used), name=tr("the result"),
                     rtol=1e-9, mistakes=rows, inputs=(a.astype(np.float64), b.astype(np.float64), floor_used),
                     context=context)


def cauchy_loss(x):
    """f(x) = sum_i log(1 + x_i^2), the loss whose gradient the learner writes."""
    x = np.asarray(x, dtype=float)
    return float(np.sum(np.log1p(x * x)))


CAUCHY_MISTAKES = [
    like("missing_inner_derivative",
         "you forgot the inner derivative: d/dx log(1 + x^2) = 1/(1 + x^2) * 2x (chain rule).",
         lambda ev: 1.0 / (1.0 + ev.inputs[0] ** 2), hint=2),
    like("inner_derivative_wrong",
         "the inner derivative is d/dx (1 + x^2) = 2x, not 2: the x is missing from the numerator.",
         lambda ev: 2.0 / (1.0 + ev.inputs[0] ** 2), hint=2),
    like("missing_outer_derivative",
         "you forgot the outer derivative: d/du log(u) = 1/u, so divide 2x by (1 + x^2).",
         lambda ev: 2.0 * ev.inputs[0], hint=2),
    like("kept_log",
         "the outer derivative of log(u) is 1/u, not log(u) itself: divide 2x by (1 + x^2) instead of "
         "multiplying it by log(1 + x^2).",
         lambda ev: 2.0 * ev.inputs[0] * np.log1p(ev.inputs[0] ** 2), hint=2),
    like("squared_denominator",
         "the denominator is 1 + x^2, not (1 + x^2)^2: d/du log(u) = 1/u, with no square.",
         lambda ev: 2.0 * ev.inputs[0] / (1.0 + ev.inputs[0] ** 2) ** 2, hint=2),
    like("precedence",
         "`2*x/1+x**2` is 2x + x^2: Python divides before it adds. Write 2 * x / (1 + x**2).",
         lambda ev: 2.0 * ev.inputs[0] + ev.inputs[0] ** 2, hint=3),
    like("precedence",
         "`2*x/(1+x)**2` squares 1 + x; the denominator is 1 + x**2 (the square of x only).",
         lambda ev: 2.0 * ev.inputs[0] / (1.0 + ev.inputs[0]) ** 2, hint=3),
    # one number for all entries where each entry's own belongs: x @ x, np.sum(x**2), np.dot(x, x)
    like("sum_of_squares",
         "your denominator is the same for every entry, 1 + (the sum of ALL the squares), as x @ x, "
         "np.dot(x, x) or np.sum(x**2) give: f is a sum of separate terms, so df/dx_i involves x_i alone: "
         "2 x_i / (1 + x_i^2), entry by entry (x**2, not x @ x).",
         lambda ev: 2.0 * ev.inputs[0] / (1.0 + np.sum(ev.inputs[0] ** 2)), hint=1),
    like("sum_of_squares",
         "your denominator is the same for every entry, the sum of all the (1 + x_i^2): f is a sum of "
         "separate terms, so df/dx_i involves x_i alone: 2 x_i / (1 + x_i^2), entry by entry.",
         lambda ev: 2.0 * ev.inputs[0] / np.sum(1.0 + ev.inputs[0] ** 2), hint=1),
]

DIVIDES_AT_ZERO = N_("cauchy_loss_grad{context}: at x_i = 0 your formula divides by zero ({warning}), but the "
                     "gradient there is just 2 * 0 / (1 + 0) = 0: a rewrite that divides by x (2 / (x + 1/x), "
                     "say) is undefined at 0. Write 2 * x / (1 + x**2), whose denominator is never below 1.")

# Visible: a 1-D and a 2-D point (no two axes of the same length), then integers, where a
# gradient started from np.zeros_like(x) would be truncated.  Hidden: the same kinds again.
CAUCHY_CASES = {
    False: [(5, (6,)), (6, (2, 5)), ([[3, -1, 0], [2, -4, 1]], None)],
    True: [(12, (4, 3)), (13, (7,)), ([-2, 5, 1, -3, 0], None)],
}


@EXERCISES.check("cauchy_loss_grad")
def cauchy_loss_grad(fn, *, hidden=False):
    for seed, shape in CAUCHY_CASES[hidden]:
        if shape is not None:
            x = np.random.default_rng(seed).standard_normal(shape) * 2
            check_grad(cauchy_loss, fn, x, name=tr("gradient"), mistakes=CAUCHY_MISTAKES, quiet=True)
            continue
        x = np.array(seed, dtype=np.int64)             # integers: the gradient must still be real
        context = tr(", for the integer array x = {x}", x=x.tolist())
        try:
            raw = call(fn, x.copy(), what="cauchy_loss_grad")
        except CheckFailed as exc:
            text = str(exc)
            if exc.key == "warning" and ("divide by zero" in text or "invalid value" in text) and not x.all():
                warning = text[text.index("(") + 1:text.index(")")] if "(" in text and ")" in text else tr("a warning")
                raise CheckFailed(tr(DIVIDES_AT_ZERO, context=context, warning=warning), key="divides_at_zero",
                                  hint=3) from None
            if exc.key == "exception" and "ZeroDivisionError" in text and not x.all():
                raise CheckFailed(tr(DIVIDES_AT_ZERO, context=context, warning="ZeroDivisionError"),
                                  key="divides_at_zero", hint=3) from None
            raise
        xf = x.astype(np.float64)
        check_answer("cauchy_loss_grad", raw, 2 * xf / (1 + xf ** 2), name=tr("gradient"), of="x",
                     mistakes=CAUCHY_MISTAKES, inputs=(xf,), context=context)
