"""Stage 1 of the pipeline: finite differences, central, in float64.

Every function here treats its argument function as a black box ``f`` and
only ever calls it on float64 copies, so ``f`` may not corrupt the point
we differentiate at.
"""
import numpy as np

from .tolerances import (FD_STEP, KINK_BEND_RTOL, KINK_HARMLESS, KINK_LEVELS, KINK_SHRINK, KINK_SHRINK_RTOL,
                         SCALE_FLOOR)


def _steps(x):
    """Relative step per entry: FD_STEP * max(1, |x_i|)."""
    return FD_STEP * np.maximum(1.0, np.abs(x))


def derivative(f, x):
    """d f / d x of a scalar function at a scalar point."""
    x = float(x)
    h = FD_STEP * max(1.0, abs(x))
    return (float(f(x + h)) - float(f(x - h))) / (2.0 * h)


def gradient(f, x):
    """Gradient of a scalar-valued f at an array x (same shape as x)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    steps = _steps(x)
    for idx in np.ndindex(x.shape):
        h = steps[idx]
        xp = x.copy(); xp[idx] += h
        xm = x.copy(); xm[idx] -= h
        grad[idx] = (float(f(xp)) - float(f(xm))) / (2.0 * h)
    return grad


def evaluate(f, points):
    """``[f(p) for p in points]``, in that order; through ``f.many(list(points))`` when f has it
    (a function of the checks that can send the calls of the learner's code together).  ``points``
    may be a generator: without ``many`` one point at a time is made."""
    many = getattr(f, "many", None)
    return list(many(list(points))) if many is not None else [f(p) for p in points]


_EPS = float(np.finfo(np.float64).eps)


def probe(fp, fx, fm, h):
    """What f at x+h, x and x-h say: (central difference, bend, slope, noise).

    ``bend`` is the forward minus the backward difference,
    ``(f(x+h) - f(x))/h - (f(x) - f(x-h))/h``: h f''(x) + O(h^3) where f is smooth; across a
    kink at a distance t < h it is about the jump in slope times (1 - t/h).  ``slope`` is the
    larger one-sided difference in absolute value, ``noise`` a bound on the rounding error of
    ``bend``.  Works entry by entry on arrays too.
    """
    forward, backward = (fp - fx) / h, (fx - fm) / h
    noise = 4.0 * _EPS * (np.abs(fp) + 2.0 * np.abs(fx) + np.abs(fm)) / h
    return (fp - fm) / (2.0 * h), forward - backward, np.maximum(np.abs(forward), np.abs(backward)), noise


def harmless(now, scale):
    """A bend this small cannot matter: even across a kink it moves the central difference by
    bend / 2, a tenth of the gradient tolerance (GRAD_RTOL * scale) or less."""
    return np.abs(now[1]) <= KINK_HARMLESS * scale


def gentle(now):
    """A bend small next to the slope, as smooth curvature makes it (h |f''| << |f'|).  A kink
    makes it about the jump in slope, unless the kink sits at the very end of the step."""
    return np.abs(now[1]) <= KINK_BEND_RTOL * now[2]


def shrank(now, before, shrink=KINK_SHRINK):
    """Did the bend shrink with the step, as h f'' does (``now``'s step ``shrink`` times smaller),
    within KINK_SHRINK_RTOL and the rounding noise?"""
    return abs(now[1] * shrink - before[1]) <= KINK_SHRINK_RTOL * abs(before[1]) + 1.1 * shrink * now[3]


def _kept_shrinking(now, before, shrink=KINK_SHRINK):
    """Did the bend shrink at least about as fast as the step (half again of slack)?"""
    return abs(now[1]) * shrink <= 1.5 * abs(before[1]) + 1.1 * shrink * now[3]


def settle(at, first, h, scale):
    """Probe again with steps h / 10 and h / 100 (``at(step)`` returns a probe) until the
    central difference can be trusted: (value, trusted).

    Trusted when a smaller step's bend is ``harmless`` (its step no longer reaches the kink;
    that central difference is the one to use), or when the bend shrank with the step, as
    curvature makes it: by 10 (within 2%) twice in a row, and the first, largest step is the most
    accurate; or by 10 once and at least as fast the second time (the rounding of f blurs it),
    and the smallest step is the safest.  A kink at a distance t inside both of two steps can
    mimic one shrink by 10 (at t = h / 11), never two: the second step no longer reaches it.
    """
    history = [first]
    for level in range(1, KINK_LEVELS + 1):
        history.append(at(h / KINK_SHRINK ** level))
        now = history[-1]
        if harmless(now, scale):
            return float(now[0]), True
        if len(history) >= 3 and shrank(history[-2], history[-3]):
            if shrank(now, history[-2]):
                return float(first[0]), True
            if _kept_shrinking(now, history[-2]):
                return float(now[0]), True
    return float(history[-1][0]), False


class EntryDifferences:
    """Central differences of scalar f at x, entry by entry, that know where they cannot be
    trusted: an entry whose step straddles a kink of f.

    Costs one extra call, f(x).  Entries with a large bend next to their slope are settled at
    once (``settle``); ``kinked`` marks those still not trusted.  Entries trusted only because
    their bend is ``gentle`` might hide a kink at the very end of their step: ``sharpen()``
    settles them too, when a comparison fails and it matters.
    """

    def __init__(self, f, x, fx=None):
        self.f = f
        self.x = np.array(x, dtype=np.float64)
        self.fx = float(f(self.x.copy())) if fx is None else float(fx)
        self.steps = _steps(self.x)
        fp, fm = np.zeros_like(self.x), np.zeros_like(self.x)
        def points():
            for idx in np.ndindex(self.x.shape):
                h = self.steps[idx]
                xp = self.x.copy(); xp[idx] += h
                yield xp
                xm = self.x.copy(); xm[idx] -= h
                yield xm
        values = iter(evaluate(f, points()))
        for idx in np.ndindex(self.x.shape):
            fp[idx], fm[idx] = next(values), next(values)
        self.first = probe(fp, self.fx, fm, self.steps)
        self.grad = self.first[0].copy()
        self.scale = max(float(np.max(np.abs(self.grad), initial=0.0)), SCALE_FLOOR)
        self.kinked = np.zeros(self.x.shape, dtype=bool)
        calm = harmless(self.first, self.scale)
        smooth_looking = gentle(self.first)
        self._soft = self._where(~calm & smooth_looking)
        for idx in self._where(~calm & ~smooth_looking):
            self._settle(idx)

    def _where(self, mask):
        return [idx for idx in np.ndindex(mask.shape) if mask[idx]] if mask.any() else []

    def _settle(self, idx):
        def at(h):
            xp = self.x.copy(); xp[idx] += h
            xm = self.x.copy(); xm[idx] -= h
            return probe(float(self.f(xp)), self.fx, float(self.f(xm)), h)
        first = tuple(float(q[idx]) for q in self.first)
        self.grad[idx], trusted = settle(at, first, self.steps[idx], self.scale)
        self.kinked[idx] = not trusted

    def sharpen(self):
        """Settle the entries trusted only for a gentle bend; True if there were any."""
        soft, self._soft = self._soft, []
        for idx in soft:
            self._settle(idx)
        return bool(soft)


def gradient_with_kinks(f, x, fx=None):
    """Gradient of a scalar-valued f at x, and the entries whose step straddles a kink.

    Returns ``(grad, kinked)``, every entry settled (see ``EntryDifferences``); ``grad`` is
    meaningless where ``kinked``.
    """
    diffs = EntryDifferences(f, x, fx)
    diffs.sharpen()
    return diffs.grad, diffs.kinked


def jacobian(f, x):
    """Jacobian of f at x, one column per input entry.

    Returned with shape ``f(x).shape + x.shape``; for vectors that is the
    usual (len(y), len(x)) matrix with J[i, j] = d y_i / d x_j.
    """
    x = np.array(x, dtype=np.float64)
    y0 = np.asarray(f(x.copy()), dtype=np.float64)
    jac = np.zeros(y0.shape + x.shape)
    steps = _steps(x)
    for idx in np.ndindex(x.shape):
        h = steps[idx]
        xp = x.copy(); xp[idx] += h
        xm = x.copy(); xm[idx] -= h
        column = (np.asarray(f(xp), dtype=np.float64) - np.asarray(f(xm), dtype=np.float64)) / (2.0 * h)
        jac[(Ellipsis,) + idx] = column
    return jac


def vjp(f, x, w):
    """Vector-Jacobian product J^T w: the gradient of <f(x), w> with respect to x."""
    w = np.asarray(w, dtype=np.float64)
    return gradient(lambda z: np.sum(np.asarray(f(z), dtype=np.float64) * w), x)


def jvp(f, x, u):
    """Jacobian-vector product J u: the derivative of f along direction u.

    One central difference along u, with a step relative to the size of x.
    """
    x = np.array(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    h = FD_STEP * max(1.0, float(np.max(np.abs(x), initial=0.0)))
    yp = np.asarray(f(x + h * u), dtype=np.float64)
    ym = np.asarray(f(x - h * u), dtype=np.float64)
    return (yp - ym) / (2.0 * h)


def along(f, x, fx, u, h):
    """``probe`` of scalar f at x along direction u with step h."""
    return probe(float(f(x + h * u)), fx, float(f(x - h * u)), h)


def random_directions(shape, count, rng):
    """``count`` random unit directions in the space of arrays of ``shape``."""
    out = []
    for _ in range(count):
        u = rng.standard_normal(shape)
        out.append(u / np.linalg.norm(u))
    return out
