"""Stage 1 of the pipeline: finite differences, central, in float64.

Every function here treats its argument function as a black box ``f`` and
only ever calls it on float64 copies, so ``f`` may not corrupt the point
we differentiate at.
"""
import numpy as np

from .tolerances import FD_STEP, KINK_BEND_RTOL, KINK_HARMLESS, KINK_REFINE, SCALE_FLOOR


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


def _differences(f, x, fx, shrink=1, entries=None):
    """Central differences plus what the two one-sided differences say about each entry.

    With steps h / ``shrink``: ``grad`` the central differences, ``bend`` the forward minus the
    backward difference, ``(f(x+h) - f(x))/h - (f(x) - f(x-h))/h = h f''(x) + O(h^3)`` where f is
    smooth, and ``slope`` the larger of the two in absolute value.
    """
    steps = _steps(x) / shrink
    grad, bend, slope = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    for idx in (np.ndindex(x.shape) if entries is None else entries):
        h = steps[idx]
        xp = x.copy(); xp[idx] += h
        xm = x.copy(); xm[idx] -= h
        fp, fm = float(f(xp)), float(f(xm))
        grad[idx] = (fp - fm) / (2.0 * h)
        forward, backward = (fp - fx) / h, (fx - fm) / h
        bend[idx] = forward - backward
        slope[idx] = max(abs(forward), abs(backward))
    return grad, bend, slope


def smooth_enough(bend, slope, scale):
    """Can the central difference be trusted, given the bend of the one-sided differences?

    Yes when the bend is too small to matter (a kink there moves the central difference by at
    most bend / 2, a tenth of the gradient tolerance), or small next to the slope, as the
    curvature of a smooth function makes it (h |f''| << |f'|).  A kink inside the step makes
    the two one-sided slopes differ by the jump in slope, whatever the step.
    """
    return abs(bend) <= KINK_HARMLESS * scale or abs(bend) <= KINK_BEND_RTOL * slope


def gradient_with_kinks(f, x, fx=None):
    """Gradient of a scalar-valued f at x, and the entries whose step straddles a kink.

    Returns ``(grad, kinked)``.  One extra call computes f(x); entries whose one-sided
    differences disagree (see ``smooth_enough``) are tried again with steps 10 and 100 times
    smaller, which clear a kink that is not right at x.  ``kinked`` marks the entries still
    straddling one: their ``grad`` is not to be trusted.
    """
    x = np.array(x, dtype=np.float64)
    fx = float(f(x.copy())) if fx is None else float(fx)
    grad, bend, slope = _differences(f, x, fx)
    scale = max(float(np.max(np.abs(grad), initial=0.0)), SCALE_FLOOR)
    pending = [idx for idx in np.ndindex(x.shape) if not smooth_enough(bend[idx], slope[idx], scale)]
    for shrink in KINK_REFINE:
        if not pending:
            break
        g, b, s = _differences(f, x, fx, shrink, pending)
        for idx in pending:
            grad[idx] = g[idx]
        pending = [idx for idx in pending if not smooth_enough(b[idx], s[idx], scale)]
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
    """(central difference, bend, slope) of scalar f at x along direction u with step h."""
    fp, fm = float(f(x + h * u)), float(f(x - h * u))
    forward, backward = (fp - fx) / h, (fx - fm) / h
    return (fp - fm) / (2.0 * h), forward - backward, max(abs(forward), abs(backward))


def random_directions(shape, count, rng):
    """``count`` random unit directions in the space of arrays of ``shape``."""
    out = []
    for _ in range(count):
        u = rng.standard_normal(shape)
        out.append(u / np.linalg.norm(u))
    return out
