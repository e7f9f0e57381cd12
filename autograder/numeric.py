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


def probe(fp, fx, fm, h):
    """What f at x+h, x and x-h say: (central difference, bend, slope, noise).

    ``bend`` is the forward minus the backward difference,
    ``(f(x+h) - f(x))/h - (f(x) - f(x-h))/h``: h f''(x) + O(h^3) where f is smooth, about the
    jump in slope where a kink lies inside the step.  ``slope`` is the larger one-sided
    difference in absolute value, ``noise`` a bound on the rounding error of ``bend``.
    """
    forward, backward = (fp - fx) / h, (fx - fm) / h
    noise = 4.0 * np.finfo(np.float64).eps * (abs(fp) + 2.0 * abs(fx) + abs(fm)) / h
    return (fp - fm) / (2.0 * h), forward - backward, max(abs(forward), abs(backward)), noise


def clear(now, scale):
    """Can the central difference of probe ``now`` be trusted on its own?

    Yes when the bend is too small to matter (a kink moves the central difference by at most
    bend / 2, here a tenth of the gradient tolerance), or small next to the slope, as smooth
    curvature makes it (h |f''| << |f'|).  Across a kink the bend is about the jump in slope
    however small the step, as long as the step reaches the kink.
    """
    _, bend, slope, _ = now
    return abs(bend) <= KINK_HARMLESS * scale or abs(bend) <= KINK_BEND_RTOL * slope


def shrank(now, before, shrink):
    """Did the bend shrink with the step, as h f'' does (``now``'s step ``shrink`` times smaller)?

    A kink at a distance t inside both steps can mimic this once (for t = h / 11 with a step
    10 times smaller), never twice in a row: trust curvature only after two such shrinks.
    """
    return abs(now[1] * shrink - before[1]) <= KINK_SHRINK_RTOL * abs(before[1]) + 1.1 * shrink * now[3]


def settled(history, scale):
    """Probes at steps h, h / KINK_SHRINK, h / KINK_SHRINK**2, ...: is the last one to be trusted?"""
    if clear(history[-1], scale):
        return True
    return len(history) >= 3 and all(shrank(history[k], history[k - 1], KINK_SHRINK) for k in (-1, -2))


def _probe_entry(f, x, fx, idx, h):
    xp = x.copy(); xp[idx] += h
    xm = x.copy(); xm[idx] -= h
    return probe(float(f(xp)), fx, float(f(xm)), h)


def gradient_with_kinks(f, x, fx=None):
    """Gradient of a scalar-valued f at x, and the entries whose step straddles a kink.

    Returns ``(grad, kinked)``.  One extra call computes f(x); an entry whose central difference
    is not ``clear`` is probed again with steps 10 and 100 times smaller, which clear a kink
    that does not sit right at x, or show smooth curvature (``settled``).  ``kinked`` marks the
    entries still not settled: their ``grad`` is meaningless.
    """
    x = np.array(x, dtype=np.float64)
    fx = float(f(x.copy())) if fx is None else float(fx)
    steps = _steps(x)
    probes = {idx: _probe_entry(f, x, fx, idx, steps[idx]) for idx in np.ndindex(x.shape)}
    grad = np.zeros_like(x)
    for idx, p in probes.items():
        grad[idx] = p[0]
    scale = max(float(np.max(np.abs(grad), initial=0.0)), SCALE_FLOOR)
    pending = {idx: [p] for idx, p in probes.items() if not clear(p, scale)}
    for level in range(1, KINK_LEVELS + 1):
        still = {}
        for idx, history in pending.items():
            history.append(_probe_entry(f, x, fx, idx, steps[idx] / KINK_SHRINK ** level))
            grad[idx] = history[-1][0]
            if not settled(history, scale):
                still[idx] = history
        pending = still
    kinked = np.zeros(x.shape, dtype=bool)
    for idx in pending:
        kinked[idx] = True
    return grad, kinked


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
