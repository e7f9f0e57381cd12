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


@pytest.mark.parametrize("fn, key", [
    (forward_difference, "forward_difference"),
    (backward_difference, "backward_difference"),
    (divided_by_h, "divided_by_h"),
    (ignores_h, "ignores_h"),
    (flipped, "sign_flipped"),
    (returns_nothing, "returned_none"),
])
def test_central_difference_mistakes(fn, key):
    message = fails_with(key, check.central_difference, fn)
    assert "for f = sin at x = 0.7" in message, "the message says which case failed"


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
    def one(idx):
        x[idx] += h; fp = f(x)
        x[idx] -= 2 * h; fm = f(x)
        return (fp - fm) / (2 * h)
    return _loop(x, one)


def ng_all_at_once(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


def ng_integer_copy(f, x, h=1e-5):
    x = x.copy()

    def one(idx):
        old = x[idx]
        x[idx] = old + h; fp = f(x)
        x[idx] = old - h; fm = f(x)
        x[idx] = old
        return (fp - fm) / (2 * h)
    return _loop(x, one)


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


@pytest.mark.parametrize("fn, key, hidden", [
    (ng_forward, "forward_difference", False),
    (ng_not_restored, "x_not_restored", False),
    (ng_all_at_once, "perturbed_all_entries", False),
    (ng_flat, "flattened", False),
    (ng_one_dim_only, "whole_rows", False),
    (ng_integer_copy, "integer_input", True),
])
def test_numerical_gradient_mistakes(fn, key, hidden):
    fails_with(key, check.numerical_gradient, fn, hidden=hidden)


def test_integer_copy_passes_the_visible_check():
    """The visible check uses floats only; the integer pitfall is what the hidden check adds."""
    check.numerical_gradient(ng_integer_copy, quiet=True)


# --- relative_error

def re_no_floor(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)))


def re_no_abs(a, b, floor=1e-3):
    return np.max(a - b) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)


def re_entrywise(a, b, floor=1e-3):
    return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor))


def re_b_only(a, b, floor=1e-3):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), floor)


def re_mean(a, b, floor=1e-3):
    return np.mean(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)


def re_sum(a, b, floor=1e-3):
    return np.sum(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), floor)


@pytest.mark.parametrize("fn, key", [
    (re_no_floor, "no_floor"),
    (re_no_abs, "no_abs"),
    (re_entrywise, "entrywise"),
    (re_b_only, "b_only"),
    (re_mean, "mean_not_max"),
    (re_sum, "sum_not_max"),
])
def test_relative_error_mistakes(fn, key):
    fails_with(key, check.relative_error, fn)


# --- cauchy_loss_grad

@pytest.mark.parametrize("fn, key", [
    (lambda x: 1.0 / (1.0 + x ** 2), "missing_inner_derivative"),
    (lambda x: 2.0 * x, "missing_outer_derivative"),
    (lambda x: -2.0 * x / (1.0 + x ** 2), "sign_flipped"),
    (lambda x: x / (1.0 + x ** 2), "scaled_half"),
    (lambda x: (2.0 * x / (1.0 + x ** 2)).T[None], "kept_axis"),
])
def test_cauchy_loss_grad_mistakes(fn, key):
    fails_with(key, check.cauchy_loss_grad, fn)


def test_progress_table_reflects_results(capsys):
    with pytest.raises(AssertionError):
        check.central_difference(forward_difference, quiet=True)
    check.progress()
    out = capsys.readouterr().out
    assert "central_difference" in out and "failed" in out
