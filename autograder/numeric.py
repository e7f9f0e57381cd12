"""Stage 1 of the pipeline: finite differences, central, in float64.

Every function here treats its argument function as a black box ``f`` and
only ever calls it on float64 copies, so ``f`` may not corrupt the point
we differentiate at.
"""
import numpy as np

from .tolerances import FD_STEP


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


def random_directions(shape, count, rng):
    """``count`` random unit directions in the space of arrays of ``shape``."""
    out = []
    for _ in range(count):
        u = rng.standard_normal(shape)
        out.append(u / np.linalg.norm(u))
    return out
